"""Produce simulated records to Kafka (the only module of `sim` that touches the network).

Keys are the customer id (UTF-8) and the partitioner is `murmur2_random`, Kafka's default
(Java clients, Faust, aiokafka), so every customer's events land on the same partition
number of every topic whoever produced them. Values are orjson-encoded JSON objects.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

import orjson
from confluent_kafka import KafkaError, Message, Producer

from sim.model import SimRecord

PRODUCER_DEFAULTS: dict[str, str] = {
    "partitioner": "murmur2_random",
    "linger.ms": "20",
    "acks": "all",
    "queue.buffering.max.messages": "500000",
    "message.timeout.ms": "60000",
}
POLL_EVERY = 1000  # serve delivery callbacks every this many records
PROGRESS_INTERVAL_S = 0.5
FLUSH_TIMEOUT_S = 120.0


class ProduceError(RuntimeError):
    """Some records could not be delivered."""


class DeliveryReport:
    """Counts deliveries and remembers the first few failures."""

    def __init__(self) -> None:
        self.delivered = 0
        self.failed = 0
        self.first_errors: list[str] = []

    def __call__(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            self.delivered += 1
            return
        self.failed += 1
        reason = err.str() if hasattr(err, "str") else str(err)
        text = f"{msg.topic()}: {reason}"
        if len(self.first_errors) < 3 and text not in self.first_errors:
            self.first_errors.append(text)


class RateLimiter:
    """Sleeps so that the running average stays at or below `rate` records per second."""

    def __init__(self, rate: float | None) -> None:
        if rate is not None and rate <= 0:
            raise ValueError(f"rate must be > 0 events/s, got {rate}")
        self.rate = rate
        self.started = time.monotonic()

    def wait(self, sent: int) -> None:
        if self.rate is None:
            return
        ahead = sent / self.rate - (time.monotonic() - self.started)
        if ahead > 0:
            time.sleep(ahead)


class ProgressBar:
    """A single `\\r` line on stderr with the count and the rate."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.started = self.last = time.monotonic()

    def update(self, sent: int, *, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self.last < PROGRESS_INTERVAL_S:
            return
        self.last = now
        rate = sent / max(now - self.started, 1e-9)
        end = "\n" if final else ""
        self.stream.write(f"\rproduced {sent:,} events  {rate:,.0f} ev/s{end}")
        self.stream.flush()


def _enqueue(producer: Any, record: SimRecord, report: DeliveryReport) -> None:
    """Hand one record to librdkafka, waiting for room when its queue is full."""
    value = orjson.dumps(record.value)
    key = record.key.encode()
    while True:
        try:
            producer.produce(record.topic, value=value, key=key, on_delivery=report)
            return
        except BufferError:
            producer.poll(0.05)


def produce(
    records: Iterable[SimRecord],
    bootstrap: str,
    *,
    rate: float | None = None,
    progress: bool = False,
    extra_config: dict[str, str] | None = None,
) -> int:
    """Produce `records` in order to the brokers at `bootstrap`; return how many were delivered.

    `rate` caps events per second; `progress` draws a progress line on stderr;
    `extra_config` adds or overrides librdkafka settings (security, timeouts...).
    Raises `ProduceError` if any record is not delivered."""
    config = {**PRODUCER_DEFAULTS, "bootstrap.servers": bootstrap, **(extra_config or {})}
    producer = Producer(config)
    report = DeliveryReport()
    limiter = RateLimiter(rate)
    bar = ProgressBar(progress)
    sent = 0
    for record in records:
        _enqueue(producer, record, report)
        sent += 1
        if sent % POLL_EVERY == 0:
            producer.poll(0)
            if report.failed:
                break
        limiter.wait(sent)
        bar.update(sent)
    undelivered = producer.flush(FLUSH_TIMEOUT_S)
    bar.update(sent, final=True)
    if report.failed or undelivered:
        detail = "; ".join(report.first_errors) or "timed out waiting for acknowledgements"
        raise ProduceError(
            f"failed to deliver {report.failed + undelivered} of {sent} records "
            f"to {bootstrap}: {detail}"
        )
    return report.delivered
