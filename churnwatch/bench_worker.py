"""churnwatch's own worker under `churnwatch bench`: end-to-end throughput of one or more
`churnwatch worker` processes over the pre-produced workload, their memory and CPU, and the
size of the state they wrote.

Throughput comes from the workers' own /metrics, polled every `POLL_S`: the clock starts at the
first answer that counts events (the events counted by then are subtracted), so process
start-up, the consumer-group join and changelog recovery are excluded, and it stops at the last
batch's `churnwatch_last_event_timestamp_seconds` (set once that batch's outputs are
published). A worker answers /metrics between batches, so the start is exact to within the time
an answer takes to arrive.

That window can end before the state of its last seconds is written: state goes out in cuts,
every commit interval, each partition in its turn, and the bench's ~6 s of input is close to
one interval. So the CPU the workers spend until their group has committed every input offset
— every state change written to the changelog once — is measured too (`cpu_committed_s`):
the cost per event of the whole job, whatever the cuts' phase.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from confluent_kafka import Consumer
from confluent_kafka import TopicPartition as KafkaPartition

from churnwatch.bench_workload import Rate, cpu_seconds
from churnwatch.worker_process import WorkerProcess, metric_sum
from topics.catalog import INPUT_TOPICS

# A scrape scans every customer (the at-risk gauges): polled ten times a second it cost the
# worker 3% of its CPU. The rate does not need more: it counts from the events seen at the
# first poll to the worker's own last-event stamp.
POLL_S = 0.5
# Changelog keys of the worker's own records (partition clocks, the number directory): a
# customer id that passed validation cannot start with a NUL byte (agents.changelog).
INTERNAL_KEY_PREFIX = b"\x00"
EVENTS = "churnwatch_events_total"
LAST_EVENT = "churnwatch_last_event_timestamp_seconds"


@dataclass(frozen=True)
class ProcessUsage:
    """One worker's resident memory (bytes) when ready and at the end."""

    rss_ready: int
    rss_end: int


@dataclass(frozen=True)
class WorkerRun:
    workers: int
    rate: Rate
    usage: list[ProcessUsage]
    customers: float
    rebalances: float
    deadletters: float
    note: str | None
    cpu_committed_s: float | None = None  # from the window's start to every offset committed


def run_workers(
    bootstrap: str,
    redis_url: str,
    app_id: str,
    workers: int,
    expected: int,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
) -> WorkerRun:
    """Start `workers` processes in one consumer group (`app_id`) at the same moment and time
    them through `expected` pre-produced events."""
    procs = [
        WorkerProcess(bootstrap, redis_url, env={"CHURNWATCH_APP_ID": app_id, **(env or {})})
        for _ in range(workers)
    ]
    try:
        _start_together(procs)
        ready = [rss_bytes(p.pid) for p in procs]
        rate, note, cpu_start = _time_workload(procs, expected, timeout_s)
        committed = _wait_committed(bootstrap, app_id, expected, timeout_s)
        cpu_committed = _cpu(procs) - cpu_start if committed and cpu_start is not None else None
        texts = [p.metrics_text() for p in procs]
        usage = [ProcessUsage(rss0, rss_bytes(p.pid)) for p, rss0 in zip(procs, ready, strict=True)]
    finally:
        for proc in procs:
            proc.stop()
    return WorkerRun(
        workers=workers,
        rate=rate,
        usage=usage,
        customers=sum(metric_sum(t, "churnwatch_customers") for t in texts),
        rebalances=sum(metric_sum(t, "churnwatch_rebalances_total") for t in texts),
        deadletters=sum(metric_sum(t, "churnwatch_deadletters_total") for t in texts),
        note=note,
        cpu_committed_s=cpu_committed,
    )


def _start_together(procs: Sequence[WorkerProcess]) -> None:
    """Start every worker at once, so they join the group in one generation."""
    errors: list[BaseException] = []

    def start(proc: WorkerProcess) -> None:
        try:
            proc.start()
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(p,)) for p in procs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _time_workload(
    procs: Sequence[WorkerProcess], expected: int, timeout_s: float
) -> tuple[Rate, str | None, float | None]:
    """The rate, a note when it fell short, and the workers' CPU seconds at its start."""
    deadline = time.monotonic() + timeout_s
    start: tuple[float, float, float] | None = None  # wall time, events, CPU seconds
    count = 0.0
    while time.monotonic() < deadline:
        count = sum(metric_sum(p.metrics_text(), EVENTS) for p in procs)
        # Stamped on the answer: a worker answers between batches, counting the batch that
        # kept it busy while the request waited.
        polled = time.time()
        if start is None and count > 0:
            start = (polled, count, _cpu(procs))
        if count >= expected:
            break
        time.sleep(POLL_S)
    if start is None:
        return Rate(0, 0, 0.0), f"no event processed within {timeout_s:g} s", None
    time.sleep(0.3)  # the last batch is counted before its outputs are published
    last = max(metric_sum(p.metrics_text(), LAST_EVENT) for p in procs)
    cpu = _cpu(procs) - start[2]
    note = None if count >= expected else f"read {count:.0f} of {expected} events in time"
    rate = Rate(int(count), int(count - start[1]), max(0.0, last - start[0]), cpu)
    return rate, note, start[2]


def _wait_committed(bootstrap: str, group: str, expected: int, timeout_s: float) -> bool:
    """Whether `group` committed offsets covering `expected` input events within `timeout_s`
    (the input topics hold the workload alone, from offset 0). Asked without joining it."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        metadata = consumer.list_topics(timeout=10).topics
        wanted = [
            KafkaPartition(topic, p) for topic in INPUT_TOPICS for p in metadata[topic].partitions
        ]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            offsets = consumer.committed(wanted, timeout=10)
            if sum(max(0, tp.offset) for tp in offsets) >= expected:
                return True
            time.sleep(POLL_S / 5)
        return False
    finally:
        consumer.close()


def _cpu(procs: Sequence[WorkerProcess]) -> float:
    return sum(cpu_seconds(p.pid) for p in procs)


# --- process figures from /proc ------------------------------------------------------------


def rss_bytes(pid: int | None) -> int:
    """Resident set size of `pid` (0 when unknown)."""
    if pid is None:
        return 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


# --- state size from the worker's changelog --------------------------------------------------


@dataclass(frozen=True)
class ChangelogSizes:
    """Bytes of the latest value of each customer key, ascending, and the total of the
    worker's own records (clocks, directory entries) beside them."""

    customers: list[int]
    internal_bytes: int


def changelog_sizes(bootstrap: str, topic: str, timeout_s: float = 60.0) -> ChangelogSizes:
    latest = asyncio.run(_latest_sizes(bootstrap, topic, timeout_s))
    customers = sorted(n for k, n in latest.items() if not k.startswith(INTERNAL_KEY_PREFIX))
    internal = sum(n for k, n in latest.items() if k.startswith(INTERNAL_KEY_PREFIX))
    return ChangelogSizes(customers, internal)


async def _latest_sizes(bootstrap: str, topic: str, timeout_s: float) -> dict[bytes, int]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
        auto_offset_reset="earliest", max_poll_records=10_000,
    )  # fmt: skip
    await consumer.start()
    try:
        await consumer.topics()
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        wanted = [TopicPartition(topic, p) for p in partitions]
        if not wanted:
            return {}
        consumer.assign(wanted)
        await consumer.seek_to_beginning(*wanted)
        return await _read_to_end(consumer, wanted, time.monotonic() + timeout_s)
    finally:
        await consumer.stop()


async def _read_to_end(
    consumer: AIOKafkaConsumer, wanted: list[TopicPartition], deadline: float
) -> dict[bytes, int]:
    """Until each partition's position reaches the end that fetch responses report (the
    embedded broker's ListOffsets answer can be short of it)."""
    latest: dict[bytes, int] = {}
    ends = await consumer.end_offsets(wanted)
    pending = {tp for tp in wanted if ends[tp] > 0}
    while pending and time.monotonic() < deadline:
        batches = await consumer.getmany(*pending, timeout_ms=200)
        for records in batches.values():
            for record in records:
                if record.key is None:
                    continue
                if record.value is None:
                    latest.pop(record.key, None)
                else:
                    latest[record.key] = len(record.value)
        for tp in list(pending):
            highwater = consumer.highwater(tp)
            if highwater is not None and await consumer.position(tp) >= highwater:
                pending.discard(tp)
    return latest
