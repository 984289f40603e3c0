"""The worker's CPU path without Kafka or Redis: `python -m churnwatch.bench_pipeline`.

The bench workload (seeded, 200k events over 10k customers; `--quick` a tenth) goes through
the worker's own `Pipeline` in batches of `BATCH_MAX` messages, as the worker reads them: decode,
validate, apply, the event-time clock with its day closes and evaluations, each partition's
changed state cut every `CUT_EVERY` batches, in turns, serialised a slice per batch, the
serving store's fields, and the heap settled after each cut. It prints the process CPU per
event of each round.

What it is for: an A/B of a change to the hot path on a shared machine, where the full
`churnwatch bench` moves 10-20% between runs of the same code. CPU time here still moves that
much; instruction counts do not. Under valgrind (`make bench-pipeline-ir`) one round's
instructions per event are the difference between a run of two rounds and a run of one, which
subtracts start-up and the workload's own generation.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from prometheus_client import CollectorRegistry

from agents.cut import Cut, PendingState
from agents.heap import Heap
from agents.ingest import BATCH_MAX, FLUSH_MAX_STATES, SLICE_STATES
from agents.metrics import Metrics
from agents.pipeline import Pipeline, Recovered
from agents.redis_sink import risk_fields
from churnwatch.bench import QUICK, WORKER_ENV, BenchConfig
from churnwatch.bench_workload import Workload
from config.policy import Policy
from streams.calendar import Calendar
from streams.state import CustomerState
from topics.partitioning import partition_for

CUT_EVERY = 25  # batches: about the worker's five-second commit interval at its rate
PARTITIONS = int(WORKER_ENV["CHURNWATCH_PARTITIONS"])  # what the bench runs workers with
WALL_CLOCK = 1_800_000_000.0  # after the workload: no event is refused as from the future


@dataclass(slots=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int = 0


class _NoState:
    def load(self, partition: int) -> Recovered:
        return [], None, []


def messages(workload: Workload) -> tuple[list[Message], dict[tuple[str, int], int]]:
    """The workload as the worker's consumer would hand it over, and each input's end offset."""
    ends: Counter[tuple[str, int]] = Counter()
    out = []
    for record in workload.records():
        partition = partition_for(record.key, PARTITIONS)
        value = orjson.dumps(record.value)
        out.append(Message(record.topic, partition, ends[(record.topic, partition)], b"", value))
        ends[(record.topic, partition)] += 1
    return out, dict(ends)


def run_once(batch_of: Sequence[Message], ends: dict[tuple[str, int], int]) -> float:
    """One pass through a fresh pipeline; its process CPU seconds."""
    pipeline = Pipeline(
        Policy(), Calendar("UTC"), PARTITIONS, Metrics(CollectorRegistry()), _NoState(),
        wall_clock=lambda: WALL_CLOCK,
    )  # fmt: skip
    flow = _Flow(pipeline)
    thresholds = flow.heap.adopt()
    try:
        started = time.process_time()
        for at in range(0, len(batch_of), BATCH_MAX):
            flow.batch(batch_of[at : at + BATCH_MAX], ends)
        flow.finish()
        return time.process_time() - started
    finally:  # the worker's heap settings were this round's, not the caller's
        gc.set_threshold(*thresholds)
        gc.unfreeze()


class _Flow:
    """What `agents.ingest.Ingest` does around the pipeline, without the I/O."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline, self.batches = pipeline, 0
        # Counted in batches, not seconds: the turns come at the same batches in every run.
        self.pending = PendingState(clock=lambda: float(self.batches))
        self.cut: Cut | None = None
        self.heap = Heap()
        pipeline.before_change = self._before_change

    def _before_change(self, state: CustomerState) -> None:
        if self.cut is not None:
            self.cut.before_change(state)

    def batch(self, batch: Sequence[Message], ends: dict[tuple[str, int], int]) -> None:
        last = {(m.topic, m.partition): m.offset for m in batch}
        idle = {tp: last.get(tp, -2) + 1 >= end for tp, end in ends.items()}
        emissions = self.pipeline.process(batch, idle)
        for state in emissions.risk:
            risk_fields(state)
        self.pending.add(emissions, {})
        self.batches += 1
        if self.cut is None:
            due = self.pending.due(CUT_EVERY, FLUSH_MAX_STATES)
            self.cut = Cut(self.pending.take(due)) if due else None
        if self.cut is not None:
            self.cut.serialise(SLICE_STATES)
            if self.cut.serialised:
                self.cut.records()
                self.cut = None
                self.heap.settle()

    def finish(self) -> None:
        """What a stop writes: the open cut, then everything after it."""
        for cut in (self.cut, Cut(self.pending)):
            if cut is not None:
                cut.serialise()
                cut.records()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m churnwatch.bench_pipeline")
    parser.add_argument("--quick", action="store_true", help="1k customers, 20k events")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    workload = (QUICK if args.quick else BenchConfig()).workload  # `churnwatch bench`'s own
    batch_of, ends = messages(workload)
    rounds = [run_once(batch_of, ends) for _ in range(args.rounds)]
    per_event = " ".join(f"{1e6 * s / len(batch_of):.1f}" for s in rounds)
    print(f"{len(batch_of)} events, CPU us per event by round: {per_event}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
