"""The raw ceiling of `churnwatch bench`: aiokafka consume plus `orjson.loads` of every value,
nothing else — what no Python worker on this client and broker can beat.

Partitions are assigned (no group join to wait for) and read from the beginning with the
worker's own fetch settings; the clock starts at the first record received.
"""

from __future__ import annotations

import asyncio
import time

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from churnwatch.bench_workload import Rate
from topics.catalog import CLOCK_TOPICS

MAX_POLL_RECORDS = 5000  # as the worker's ingest (agents.ingest.BATCH_MAX)


def measure_ceiling(bootstrap: str, expected: int, timeout_s: float = 120.0) -> Rate:
    return asyncio.run(_consume(bootstrap, expected, timeout_s))


async def _consume(bootstrap: str, expected: int, timeout_s: float) -> Rate:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=MAX_POLL_RECORDS,
    )
    await consumer.start()
    try:
        await consumer.topics()  # fresh metadata for every topic
        partitions = [
            TopicPartition(topic, p)
            for topic in CLOCK_TOPICS
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        return await _read_all(consumer, expected, time.monotonic() + timeout_s)
    finally:
        await consumer.stop()


async def _read_all(consumer: AIOKafkaConsumer, expected: int, deadline: float) -> Rate:
    """Clocked from the end of the first batch to the end of the last, counting the events
    in between (the first fetch waits on the connection and is not throughput)."""
    count, decoded = 0, 0
    start: tuple[float, int, float] | None = None  # wall, events, CPU seconds
    while count < expected and time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=200, max_records=MAX_POLL_RECORDS)
        for records in batches.values():
            for record in records:
                if record.value is not None:
                    decoded += len(orjson.loads(record.value))
            count += len(records)
        if start is None and count:
            start = (time.perf_counter(), count, time.process_time())
    if start is None:
        return Rate(0, 0, 0.0)
    cpu = time.process_time() - start[2]
    return Rate(count, count - start[1], time.perf_counter() - start[0], cpu)
