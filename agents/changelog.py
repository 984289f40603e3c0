"""Durable engine state on a compacted changelog topic, one record per customer (and one per
partition clock), partitioned like the input so a worker recovers exactly its partitions.

Recovery reads each partition to the end reported by *fetch* responses: the embedded broker
(Tansu) answers ListOffsets with the last record batch's base offset + 1, which stops a reader
that trusts it short of the real end (Faust's table recovery lost records that way).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from agents.pipeline import Recovered
from streams.engine import PartitionClock
from streams.state import CustomerState

log = logging.getLogger(__name__)
CLOCK_PREFIX = b"\x00clock:"
DIRECTORY_PREFIX = b"\x00dir:"


def directory_key(digest: str) -> bytes:
    return DIRECTORY_PREFIX + digest.encode()


def clock_key(partition: int) -> bytes:
    # A NUL byte cannot start a customer id that passed validation, so no collision.
    return CLOCK_PREFIX + str(partition).encode()


class ChangelogStore:
    """Holds what recovery read until the pipeline builds its engines from it."""

    def __init__(self, topic: str, client_config: dict[str, Any]) -> None:
        self.topic = topic
        self.client_config = client_config
        self._recovered: dict[int, Recovered] = {}
        self.records_read = 0
        self.seconds = 0.0

    def load(self, partition: int) -> Recovered:
        return self._recovered.pop(partition, ([], None, []))

    async def recover(self, partitions: Iterable[int], timeout_s: float = 300.0) -> None:
        """Read the changelog of `partitions` from the beginning to the real end."""
        wanted = [TopicPartition(self.topic, p) for p in sorted(set(partitions))]
        if not wanted:
            return
        started = time.monotonic()
        consumer = AIOKafkaConsumer(
            enable_auto_commit=False, group_id=None, auto_offset_reset="earliest",
            max_poll_records=10_000, **self.client_config,
        )  # fmt: skip
        await consumer.start()
        try:
            consumer.assign(wanted)
            await consumer.seek_to_beginning(*wanted)
            latest = await _read_to_end(consumer, wanted, started + timeout_s)
        finally:
            await consumer.stop()
        for tp in wanted:
            self._recovered[tp.partition] = _decode(latest.get(tp.partition, {}))
        self.records_read += sum(len(v) for v in latest.values())
        self.seconds += time.monotonic() - started
        log.info("recovered %d partitions in %.1f s", len(wanted), time.monotonic() - started)


async def _read_to_end(
    consumer: AIOKafkaConsumer, wanted: list[TopicPartition], deadline: float
) -> dict[int, dict[bytes, bytes]]:
    latest: dict[int, dict[bytes, bytes]] = {tp.partition: {} for tp in wanted}
    ends = await consumer.end_offsets(wanted)
    # A zero end offset is trustworthy (the partition is empty); any other value may be short.
    pending = {tp for tp in wanted if ends[tp] > 0}
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"changelog recovery did not reach the end of {sorted(pending)}")
        batches = await consumer.getmany(*pending, timeout_ms=200)
        for tp, records in batches.items():
            table = latest[tp.partition]
            for record in records:
                if record.value is None:
                    table.pop(record.key, None)
                else:
                    table[record.key] = record.value
        for tp in list(pending):
            highwater = consumer.highwater(tp)
            if highwater is not None and await consumer.position(tp) >= highwater:
                pending.discard(tp)
    return latest


def _decode(table: dict[bytes, bytes]) -> Recovered:
    clock = None
    states = []
    directory = []
    for key, value in table.items():
        if key.startswith(CLOCK_PREFIX):
            clock = PartitionClock.from_bytes(value)
        elif key.startswith(DIRECTORY_PREFIX):
            directory.append((key[len(DIRECTORY_PREFIX) :].decode(), value))
        else:
            states.append(CustomerState.from_bytes(value))
    return states, clock, directory


async def gather_deliveries(futures: list[asyncio.Future[Any]]) -> None:
    if futures:
        await asyncio.gather(*futures)
