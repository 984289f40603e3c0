"""Helpers for tests that run a real worker against a real broker and Redis."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import groupby
from typing import Any

import orjson
from confluent_kafka import Producer

from churnwatch.tail import tail_topic
from churnwatch.worker_process import WorkerProcess, metric_sum
from config.settings import Settings
from embedded.process import wait_until
from streams.offline import ReplayRecord


def produce_records(bootstrap: str, records: Iterable[ReplayRecord]) -> int:
    """Produce raw records with Kafka's partitioner, as every upstream feed must."""
    return _deliver(_producer(bootstrap), records)


def produce_live(
    bootstrap: str, records: Iterable[ReplayRecord], step_s: int = 1800, days_per_s: float = 2.0
) -> int:
    """Produce history while workers read it, one `step_s` of event time at a time, each step
    delivered whole before the next begins (no topic runs more than a step ahead of another
    on the broker), at `days_per_s` of event time per second. A worker still sees some skew:
    it takes a topic read up to its last known highwater for caught up while others run on.
    Unpaced, this history goes out at ~17 days a second, and a highwater a tenth of a second
    old is days behind; paced, it is hours. Tests that compare with the oracle give
    evaluations a delay longer than that skew."""
    producer, count = _producer(bootstrap), 0
    wall_per_step = step_s / (days_per_s * 86400)
    started = time.monotonic()
    steps = groupby(records, key=lambda record: _step_of(record, step_s))
    for done, (_, step) in enumerate(steps, 1):
        count += _deliver(producer, step)
        time.sleep(max(0.0, started + done * wall_per_step - time.monotonic()))  # pace
    return count


def produce_files(bootstrap: str, files: Iterable[Iterable[ReplayRecord]]) -> int:
    """Produce each group of records whole, delivered before the next one starts: feeds that
    arrive as files, unpaced."""
    producer = _producer(bootstrap)
    return sum(_deliver(producer, records) for records in files)


def _deliver(producer: Producer, records: Iterable[ReplayRecord]) -> int:
    count = _produce(producer, records)
    assert producer.flush(60) == 0, "records left undelivered"
    return count


def _step_of(record: ReplayRecord, step_s: int) -> int:
    ts = datetime.fromisoformat(orjson.loads(record.value)["ts"])
    return int(ts.timestamp()) // step_s


def _producer(bootstrap: str) -> Producer:
    return Producer(
        {"bootstrap.servers": bootstrap, "partitioner": "murmur2_random", "linger.ms": 20}
    )


def _produce(producer: Producer, records: Iterable[ReplayRecord]) -> int:
    count = 0
    for record in records:
        key = record.key.encode() if record.key is not None else None
        while True:
            try:
                producer.produce(record.topic, key=key, value=record.value)
                break
            except BufferError:
                producer.poll(0.1)
        count += 1
    return count


def read_topic(bootstrap: str, topic: str, idle_s: float = 1.5) -> list[Any]:
    """Everything on `topic` now (stops once nothing new came for `idle_s`)."""
    return list(tail_topic(Settings(kafka_bootstrap=bootstrap), topic, True, idle_s=idle_s))


def wait_for_metric(
    worker: WorkerProcess, name: str, done: Callable[[float], bool], timeout: float
) -> float:
    """Poll the worker's /metrics until `done(value)`; returns the last value."""
    seen = [0.0]

    def check() -> bool:
        seen[0] = metric_sum(worker.metrics_text(), name)
        return done(seen[0])

    wait_until(check, timeout=timeout, what=f"{name} to reach its target (last {seen[0]})")
    return seen[0]


def wait_for_records(
    bootstrap: str, topic: str, done: Callable[[list[Any]], bool], timeout: float
) -> list[Any]:
    """Re-read `topic` until `done(records)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        records = read_topic(bootstrap, topic, idle_s=0.5)
        if done(records) or time.monotonic() > deadline:
            return records


def as_record(topic: str, value: dict[str, Any] | bytes, key: str | None = None) -> ReplayRecord:
    raw = value if isinstance(value, bytes) else orjson.dumps(value)
    return ReplayRecord(topic, key, raw)
