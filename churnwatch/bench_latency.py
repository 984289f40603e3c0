"""Event-to-alert latency under `churnwatch bench`: a worker fed at a fixed offered rate.

On a fresh broker (the throughput workload's history is months old: live traffic after it
would make the worker sweep every day in between), a worker with `evaluation_delay_minutes`
0 reads the simulator's traffic re-stamped with the wall clock as it is produced, so the
event-time clock follows the wall clock as in production. After a warm-up, probes are mixed
in: a `port_out_request` CRM event for a customer not alerted before (urgent: evaluated as soon
as the partition's clock reaches it; port-out alone scores critical). A probe's latency is the
wall time from just before it is handed to the producer to the moment its alert is consumed
from `churn.alerts` here — producer batching, broker, worker batch, publish and consumer fetch
included. The worker's own `churnwatch_event_latency_seconds` histogram (broker timestamp to
outputs published) is reported beside it.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from churnwatch.bench_workload import Workload
from churnwatch.commands import ensure_topics
from churnwatch.worker_process import WorkerProcess
from config.settings import Settings
from embedded.process import wait_until
from embedded.services import EmbeddedBroker
from topics.catalog import ALERTS, CRM

TICK_S = 0.005
TAIL_S = 3.0  # traffic without probes at the end, so the last probes' clock moves on
PRODUCER_LINGER_MS = 5
HISTOGRAM = "churnwatch_event_latency_seconds"
MIDNIGHT_NOTE = "the run crossed midnight UTC: a day-close sweep evaluated every customer"


@dataclass(frozen=True)
class LatencyResult:
    offered_per_s: float
    achieved_per_s: float
    seconds: float
    probes: int
    samples_ms: list[float]  # probe handed to the producer -> its alert consumed here
    produced_ms: list[float]  # probe handed to the producer -> its alert's CreateTime
    worker_hist_ms: tuple[float | None, float | None]  # p50, p99 from the worker's histogram
    note: str | None

    @property
    def missing(self) -> int:
        return self.probes - len(self.samples_ms)

    def quantile_ms(self, q: float) -> float | None:
        return quantile(self.samples_ms, q)


@dataclass(frozen=True)
class _Encoded:
    """A record split around its `ts` value, to re-stamp it cheaply when it is sent."""

    topic: str
    key: bytes
    head: bytes
    tail: bytes


def measure_latency(
    workload: Workload,
    redis_url: str,
    rate: float,
    duration_s: float,
    warmup_s: float,
    probes_per_s: float,
    env: Mapping[str, str] | None = None,
) -> LatencyResult:
    traffic = _encode(_traffic(workload, int(rate * duration_s) + 1000))
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        ensure_topics(Settings(kafka_bootstrap=broker.bootstrap))
        policy = Path(tmp) / "policy.json"
        policy.write_bytes(orjson.dumps({"ingest": {"evaluation_delay_minutes": 0}}))
        worker_env = {
            **(env or {}),
            "CHURNWATCH_APP_ID": "bench-latency",
            "CHURNWATCH_CONFIG": str(policy),
        }
        with WorkerProcess(broker.bootstrap, redis_url, env=worker_env) as worker:
            wait_until(lambda: worker.is_ready(), 60.0, "the latency worker to own its partitions")
            with AlertFollower(broker.bootstrap) as alerts:
                run = _Offered(broker.bootstrap, traffic, rate, alerts)
                run.drive(duration_s, warmup_s, TAIL_S, probes_per_s)
                _wait_for_probes(run, alerts, timeout_s=5.0)
                metrics = worker.metrics_text()
    samples, produced = run.latencies_ms(alerts)
    crossed = run.started_day != run.ended_day
    return LatencyResult(
        offered_per_s=rate,
        achieved_per_s=run.sent / run.elapsed if run.elapsed > 0 else 0.0,
        seconds=run.elapsed,
        probes=len(run.probes),
        samples_ms=samples,
        produced_ms=produced,
        worker_hist_ms=(
            histogram_quantile(metrics, HISTOGRAM, 0.5),
            histogram_quantile(metrics, HISTOGRAM, 0.99),
        ),
        note=MIDNIGHT_NOTE if crossed else None,
    )


def _traffic(workload: Workload, events: int) -> Iterator[Any]:
    from itertools import islice

    from sim.population import simulate

    _truths, records = simulate(workload.sim_config())
    return islice(records, events)


def _encode(records: Iterator[Any]) -> list[_Encoded]:
    out = []
    for record in records:
        raw = orjson.dumps(record.value)
        start = raw.index(b'"ts":"') + 6
        end = raw.index(b'"', start)
        out.append(_Encoded(record.topic, record.key.encode(), raw[:start], raw[end:]))
    return out


def _stamp(now: float) -> bytes:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").encode()


class AlertFollower:
    """Consumes `churn.alerts` by partition assignment; keeps when each customer's alerts came."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        # customer -> (consumed here, alert record's CreateTime stamped by the worker)
        self.seen: dict[str, list[tuple[float, float]]] = {}
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._assigned = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-alerts", daemon=True)

    def __enter__(self) -> AlertFollower:
        self._thread.start()
        if not self._assigned.wait(30.0):
            raise TimeoutError("the alert follower could not assign churn.alerts")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10.0)

    def first_after(self, customer: str, since: float) -> tuple[float, float] | None:
        """(consumed, created) of the customer's first alert consumed after `since`."""
        with self.lock:
            return next((seen for seen in self.seen.get(customer, ()) if seen[0] >= since), None)

    def alerted(self, customer: str) -> bool:
        with self.lock:
            return customer in self.seen

    def _run(self) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": "churnwatch-bench-alerts",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
            }
        )
        try:
            partitions = consumer.list_topics(ALERTS, timeout=10).topics[ALERTS].partitions
            consumer.assign([TopicPartition(ALERTS, p, OFFSET_BEGINNING) for p in partitions])
            self._assigned.set()
            while not self._stop.is_set():
                for message in consumer.consume(num_messages=500, timeout=0.05):
                    key = message.key()
                    if message.error() is None and isinstance(key, bytes):
                        created = message.timestamp()[1] / 1000.0
                        self._record(key.decode(), time.time(), created)
        finally:
            consumer.close()

    def _record(self, customer: str, at: float, created: float) -> None:
        with self.lock:
            self.seen.setdefault(customer, []).append((at, created))


class _Offered:
    """Produces the traffic at a fixed rate, re-stamped with the wall clock, with probes."""

    def __init__(
        self, bootstrap: str, traffic: Sequence[_Encoded], rate: float, alerts: AlertFollower
    ) -> None:
        from confluent_kafka import Producer

        self.producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "partitioner": "murmur2_random",
                "linger.ms": PRODUCER_LINGER_MS,
                "acks": "all",
                "queue.buffering.max.messages": 1_000_000,
            }
        )
        self.traffic, self.rate, self.alerts = traffic, rate, alerts
        self.sent = 0
        self.elapsed = 0.0
        self.probes: dict[str, float] = {}  # customer -> wall time the probe was handed over
        self._candidates = _first_seen(traffic)
        self.started_day = self.ended_day = datetime.now(UTC).date()

    def drive(self, duration_s: float, warmup_s: float, tail_s: float, probes_per_s: float) -> None:
        """Traffic for `duration_s`; probes from `warmup_s` until `tail_s` before the end (the
        clock only moves while traffic flows: the last probes need some after them)."""
        started = time.monotonic()
        self.started_day = datetime.now(UTC).date()
        next_probe, last_probe = started + warmup_s, started + duration_s - tail_s
        while (elapsed := time.monotonic() - started) < duration_s:
            stamp = _stamp(time.time())
            due = min(int(self.rate * elapsed), len(self.traffic))
            while self.sent < due:
                item = self.traffic[self.sent]
                self._send(item.topic, item.key, item.head + stamp + item.tail)
                self.sent += 1
            if next_probe <= time.monotonic() < last_probe:
                self._probe()
                next_probe += 1.0 / probes_per_s
            self.producer.poll(0)
            time.sleep(TICK_S)
        self.elapsed = time.monotonic() - started
        self.ended_day = datetime.now(UTC).date()
        self.producer.flush(30)

    def _probe(self) -> None:
        while self._candidates:
            customer, first_index = self._candidates[-1]
            if first_index >= self.sent:
                return  # not introduced by the traffic yet: try again next tick
            self._candidates.pop()
            if self.alerts.alerted(customer):
                continue
            event = {
                "event_id": f"bench-probe-{customer}",
                "customer_id": customer,
                "kind": "port_out_request",
            }
            now = time.time()
            raw = orjson.dumps({**event, "ts": _stamp(now).decode()})
            self.probes[customer] = now
            self._send(CRM, customer.encode(), raw)
            return

    def _send(self, topic: str, key: bytes, value: bytes) -> None:
        while True:
            try:
                self.producer.produce(topic, key=key, value=value)
                return
            except BufferError:
                self.producer.poll(0.01)

    def latencies_ms(self, alerts: AlertFollower) -> tuple[list[float], list[float]]:
        """Ascending, per probe answered: to its alert consumed; to its alert produced (the
        record's CreateTime)."""
        consumed, produced = [], []
        for customer, sent_at in self.probes.items():
            seen = alerts.first_after(customer, sent_at)
            if seen is not None:
                consumed.append((seen[0] - sent_at) * 1000.0)
                produced.append((seen[1] - sent_at) * 1000.0)
        return sorted(consumed), sorted(produced)


def _first_seen(traffic: Sequence[_Encoded]) -> list[tuple[str, int]]:
    """Customers in the order the traffic introduces them, last first (a stack)."""
    first: dict[str, int] = {}
    for index, item in enumerate(traffic):
        first.setdefault(item.key.decode(), index)
    return sorted(first.items(), key=lambda kv: -kv[1])


def _wait_for_probes(run: _Offered, alerts: AlertFollower, timeout_s: float) -> None:
    with contextlib.suppress(TimeoutError):
        wait_until(
            lambda: all(alerts.first_after(c, t) is not None for c, t in run.probes.items()),
            timeout_s,
            "alerts for every probe",
            interval=0.1,
        )


# --- figures ---------------------------------------------------------------------------------


def quantile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank quantile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 1))))
    return sorted_values[rank - 1]


def histogram_quantile(text: str, name: str, q: float) -> float | None:
    """Quantile in ms from a Prometheus histogram's cumulative buckets, interpolated linearly
    inside the bucket as Prometheus' `histogram_quantile` does (None without observations)."""
    buckets: list[tuple[float, float]] = []
    prefix = f'{name}_bucket{{le="'
    for line in text.splitlines():
        if line.startswith(prefix):
            le = line[len(prefix) : line.index('"', len(prefix))]
            buckets.append((float(le), float(line.rsplit(" ", 1)[1])))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0.0
    if total <= 0:
        return None
    target = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= target:
            if bound == float("inf"):
                return lower_bound * 1000.0
            share = (target - lower_count) / (count - lower_count) if count > lower_count else 1.0
            return (lower_bound + (bound - lower_bound) * share) * 1000.0
        lower_bound, lower_count = bound, count
    return None
