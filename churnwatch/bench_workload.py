"""The benchmark's shared pieces: the seeded workload, the per-customer update every peer
applies, and the progress file through which a contender in a child process reports.

Every contender reads the same pre-produced records: the simulator's first `events` records
for `customers` customers (seeded), on the contract's three clock topics, keyed by customer
and partitioned with Kafka's murmur2, as the worker's real feeds are.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from embedded.process import ManagedProcess
from sim.model import MIN_DAYS, SimConfig, SimRecord

# Generous: the workload is truncated to `events` long before the simulation ends.
WORKLOAD_DAYS = MIN_DAYS


@dataclass(frozen=True)
class Workload:
    """What every contender reads."""

    customers: int
    events: int
    seed: int

    def sim_config(self) -> SimConfig:
        return SimConfig(customers=self.customers, days=WORKLOAD_DAYS, seed=self.seed)

    def records(self) -> Iterator[SimRecord]:
        """The first `events` simulated records, in event-time order (lazy)."""
        from sim.population import simulate

        _truths, records = simulate(self.sim_config())
        return itertools.islice(records, self.events)


@dataclass(frozen=True)
class Produced:
    """What the workload put on the broker."""

    events: int
    by_topic: dict[str, int]
    seconds: float


def produce_workload(workload: Workload, bootstrap: str) -> Produced:
    """Produce the workload once; every contender then reads it from the beginning."""
    from sim.produce import produce

    counts: Counter[str] = Counter()

    def counted() -> Iterator[SimRecord]:
        for record in workload.records():
            counts[record.topic] += 1
            yield record

    started = time.monotonic()
    delivered = produce(counted(), bootstrap)
    return Produced(delivered, dict(counts), time.monotonic() - started)


@dataclass(frozen=True)
class Rate:
    """A throughput measurement: `measured` of the `events` read fell in `seconds` of wall
    time, during which the contender's own process(es) used `cpu_s` seconds of CPU."""

    events: int
    measured: int
    seconds: float
    cpu_s: float | None = None

    @property
    def events_per_s(self) -> float | None:
        return self.measured / self.seconds if self.seconds > 0 and self.measured > 0 else None

    @property
    def events_per_cpu_s(self) -> float | None:
        """Throughput per CPU-second: steadier than wall-clock rates on a shared machine."""
        if not self.cpu_s or self.cpu_s <= 0 or self.measured <= 0:
            return None
        return self.measured / self.cpu_s


# --- the update every framework peer applies per event --------------------------------------

_KIND_SLOT = {"voice": 0, "sms": 1, "data": 2}


def bucket_update(days: dict[str, list[float]], event: dict[str, Any]) -> dict[str, list[float]]:
    """A daily usage bucket per customer, like (a small part of) churnwatch's own state:
    [voice seconds, SMS, data bytes, billed amount, other events] per event-time day,
    at most 56 days kept."""
    day = str(event.get("ts", ""))[:10]
    bucket = days.get(day)
    if bucket is None:
        bucket = days[day] = [0.0, 0.0, 0.0, 0.0, 0.0]
        if len(days) > WORKLOAD_DAYS:
            del days[min(days)]
    slot = _KIND_SLOT.get(str(event.get("kind")))
    if slot == 0:
        bucket[0] += float(event.get("duration_s") or 0)
    elif slot == 1:
        bucket[1] += 1
    elif slot == 2:
        bucket[2] += float(event.get("bytes") or 0)
    elif "amount" in event:
        bucket[3] += float(event.get("amount") or 0)
    else:
        bucket[4] += 1
    return days


# --- progress reported by a contender in a child process --------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Events processed so far, and the wall times of the first and the latest."""

    count: int
    first: float | None
    last: float | None

    @property
    def events_per_s(self) -> float | None:
        if self.first is None or self.last is None or self.count < 2 or self.last <= self.first:
            return None
        # `first` is stamped once the first event is done: count - 1 events fill the span.
        return (self.count - 1) / (self.last - self.first)


class ProgressWriter:
    """Counts processed events; rewrites a small JSON file at most every `every_s`."""

    def __init__(self, path: Path, target: int, every_s: float = 0.1) -> None:
        self.path, self.target, self.every_s = path, target, every_s
        self.count = 0
        self.first: float | None = None
        self.last = 0.0
        self._written = 0.0

    def tick(self, events: int = 1) -> None:
        now = time.time()
        if self.first is None:
            self.first = now
        self.count += events
        self.last = now
        if now - self._written >= self.every_s or self.count >= self.target:
            self.flush()

    def flush(self) -> None:
        self._written = time.time()
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps({"count": self.count, "first": self.first, "last": self.last}))
        os.replace(tmp, self.path)


def read_progress(path: Path) -> Snapshot:
    try:
        obj = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return Snapshot(0, None, None)
    return Snapshot(int(obj["count"]), obj["first"], obj["last"])


class ContenderProcess(ManagedProcess):
    """`python -m MODULE ARGS...` in a child process that dies with us; it reports through a
    progress file, so it is 'ready' as soon as it runs."""

    name = "bench contender"

    def __init__(self, module: str, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        super().__init__(startup_timeout=30.0, stop_timeout=10.0, keep_logs=False)
        self.module, self.args, self.env = module, list(args), env or {}

    def _command(self) -> Sequence[str]:
        return [sys.executable, "-m", self.module, *self.args]

    def _environment(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def _is_ready(self) -> bool:
        return True


@dataclass(frozen=True)
class ContenderRun:
    """What one contender did within its budget; `cpu` is (events, CPU seconds) between our
    first sight of its progress and the end."""

    snapshot: Snapshot
    note: str | None
    cpu: tuple[int, float] | None = None

    @property
    def events_per_s(self) -> float | None:
        return self.snapshot.events_per_s

    @property
    def events_per_cpu_s(self) -> float | None:
        if self.cpu is None or self.cpu[1] <= 0 or self.cpu[0] <= 0:
            return None
        return self.cpu[0] / self.cpu[1]


def run_contender(
    proc: ContenderProcess, progress: Path, target: int, budget_s: float, start_timeout_s: float
) -> ContenderRun:
    """Start `proc`, wait until it processed `target` events, its measuring budget (from its
    first event) ran out, or it never started; stop it and return what it reported."""
    note: str | None = None
    with proc:
        started = time.monotonic()
        first_seen: tuple[int, float] | None = None  # (count, CPU seconds) when first seen
        while True:
            snap = read_progress(progress)
            if first_seen is None and snap.count > 0:
                first_seen = (snap.count, cpu_seconds(proc.pid))
            if snap.count >= target:
                break
            if snap.first is not None and time.time() - snap.first >= budget_s:
                note = f"capped at {budget_s:g} s of processing"
                break
            if snap.first is None and time.monotonic() - started > start_timeout_s:
                note = f"no event processed within {start_timeout_s:g} s: {_last_line(proc)}"
                break
            if not proc.running:
                note = f"exited early: {_last_line(proc)}"
                break
            time.sleep(0.1)
        cpu_end = cpu_seconds(proc.pid)
    final = read_progress(progress)
    cpu = None
    if first_seen is not None and cpu_end > first_seen[1]:
        cpu = (final.count - first_seen[0], cpu_end - first_seen[1])
    return ContenderRun(final, note, cpu)


def cpu_seconds(pid: int | None) -> float:
    """User plus system CPU time `pid` has used so far (0 when unknown)."""
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()
    # Counted from the state (field 3 of stat(5)): utime is field 14, stime 15.
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _last_line(proc: ContenderProcess) -> str:
    with contextlib.suppress(Exception):
        lines = [line for line in proc.log_tail(20).splitlines() if line.strip()]
        if lines:
            return lines[-1][:200]
    return "(no log)"
