"""Writes engine state to the changelog topic through librdkafka (confluent-kafka).

A flush writes one record per changed customer — after a day-close sweep, every customer. The
aiokafka producer builds each record in Python (measured here: AIOKafkaProducer.send and its
sender were a tenth of the worker's CPU); librdkafka queues a record in about a microsecond and
batches in C. Outputs (alerts, tasks, dead letters) stay on aiokafka: few, and awaited per batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

Record = tuple[int, bytes, bytes]  # partition, key, value
QUEUE_MAX = 500_000  # above FLUSH_MAX_STATES: a flush never waits for room in the local queue


class ChangelogError(RuntimeError):
    """Some state records were not acknowledged by the broker: the offsets must not move."""


class ChangelogWriter:
    def __init__(self, topic: str, config: dict[str, Any], timeout_s: float = 60.0) -> None:
        self.topic = topic
        self.timeout_s = timeout_s
        self._producer = Producer(
            {**config, "acks": "all", "linger.ms": 5, "queue.buffering.max.messages": QUEUE_MAX}
        )

    async def write(self, records: Iterable[Record]) -> None:
        """Every record acknowledged by the broker, or ChangelogError."""
        failures: list[str] = []

        def report(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                failures.append(err.str())

        count = 0
        for partition, key, value in records:
            self._produce(partition, key, value, report)
            count += 1
        if not count:
            return
        # flush() blocks until every delivery report is in: off the event loop.
        left = await asyncio.to_thread(self._producer.flush, self.timeout_s)
        if left or failures:
            raise ChangelogError(
                f"{left} of {count} state records undelivered after {self.timeout_s:g} s, "
                f"{len(failures)} refused{': ' + failures[0] if failures else ''}"
            )

    def _produce(self, partition: int, key: bytes, value: bytes, report: Any) -> None:
        while True:
            try:
                self._producer.produce(
                    self.topic, value, key, partition=partition, on_delivery=report
                )
                return
            except BufferError:  # the local queue is full: let deliveries drain it
                self._producer.poll(0.1)

    def close(self) -> None:
        self._producer.flush(self.timeout_s)
