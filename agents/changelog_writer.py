"""Writes engine state to the changelog topic through librdkafka (confluent-kafka).

A flush writes one record per changed customer — after a day-close sweep, every customer. The
aiokafka producer builds each record in Python (measured here: AIOKafkaProducer.send and its
sender were a tenth of the worker's CPU); librdkafka queues a record in about a microsecond and
batches in C. Outputs (alerts, tasks, dead letters) stay on aiokafka: few, and awaited per batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

Record = tuple[int, bytes, bytes]  # partition, key, value


class ChangelogError(RuntimeError):
    """Some state records were not acknowledged by the broker: the offsets must not move."""


class ChangelogWriter:
    """One write at a time (the ingest lock), each acknowledged whole before it returns: a
    later write can never overtake an earlier one's records, and a failed write leaves
    nothing behind to arrive later (its records time out with it, the rest are purged)."""

    def __init__(self, topic: str, config: dict[str, Any], timeout_s: float = 60.0) -> None:
        self.topic = topic
        self.timeout_s = timeout_s
        self._config = {
            **config, "acks": "all", "linger.ms": 5, "message.timeout.ms": int(timeout_s * 1000)
        }  # fmt: skip
        # Made at the first write: an app built and never run (a test, a CLI listing) starts
        # no librdkafka threads and opens no connection.
        self._made: Producer | None = None

    @property
    def _producer(self) -> Producer:
        if self._made is None:
            self._made = Producer(self._config)
        return self._made

    async def write(self, records: Sequence[Record]) -> None:
        """Every record acknowledged by the broker, or ChangelogError. Produced and awaited
        on a thread: a full local queue or a slow broker never blocks the event loop."""
        if records:
            await asyncio.to_thread(self._write, records)

    def _write(self, records: Sequence[Record]) -> None:
        failures: list[str] = []

        def report(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                failures.append(err.str())

        try:
            for partition, key, value in records:
                self._produce(partition, key, value, report)
        except KafkaException as exc:  # refused on the spot (e.g. no such partition)
            self._producer.purge()
            raise ChangelogError(f"state record refused: {exc}") from exc
        left = self._producer.flush(self.timeout_s)
        if left or failures:
            self._producer.purge()
            raise ChangelogError(
                f"{left} of {len(records)} state records undelivered after {self.timeout_s:g} s,"
                f" {len(failures)} refused{': ' + failures[0] if failures else ''}"
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
        if self._made is not None:
            self._made.flush(self.timeout_s)
