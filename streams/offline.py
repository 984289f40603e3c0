"""The stream logic run offline over a file of events, without a broker: the oracle that the
fault tests compare the live worker with, and the engine behind `evaluate` and `fit`.

Records are routed to per-partition engines exactly as Kafka's default partitioner would, and
processed in file order; since nothing is left unread after a record, every topic counts as
caught up, as a live worker's topics do once it has read everything. Internal records (the
contact graph, see `streams.social`) are delivered at once to the engine of the partition their
key hashes to, as the live worker's round trip through the internal topics would.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from config.policy import Policy
from streams.calendar import Calendar
from streams.engine import DUPLICATE, PartitionEngine
from streams.evaluate import ChurnObserved
from topics.catalog import CLOCK_TOPICS
from topics.inputs import Rejected, decode_event
from topics.partitioning import partition_for
from topics.records import Alert, CareTask

FAR_FUTURE = 2**40  # a wall clock that makes no historical event "in the future"


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    topic: str
    key: str | None
    value: bytes


@dataclass(slots=True)
class OfflineResult:
    alerts: list[Alert] = field(default_factory=list)
    tasks: list[CareTask] = field(default_factory=list)
    churns: list[ChurnObserved] = field(default_factory=list)
    rejected: list[tuple[ReplayRecord, Rejected]] = field(default_factory=list)
    duplicates: int = 0
    events: int = 0
    internal: int = 0  # internal records delivered between partitions
    stale_tasks: int = 0  # alerts whose task would have expired by `tasks_after`


class OfflineRunner:
    """Feeds records to partition engines one by one, collecting their outputs."""

    def __init__(
        self,
        policy: Policy,
        cal: Calendar,
        partitions: int = 8,
        now: float = FAR_FUTURE,
        tasks_after: int | None = None,
    ) -> None:
        self.policy, self.cal, self.partitions, self.now = policy, cal, partitions, now
        self.tasks_after = tasks_after  # as the worker's wall clock (see PartitionEngine)
        self.engines: dict[int, PartitionEngine] = {}
        self.result = OfflineResult()

    def engine(self, partition: int) -> PartitionEngine:
        found = self.engines.get(partition)
        if found is None:
            found = PartitionEngine(partition, self.partitions, self.policy, self.cal)
            found.tasks_after = self.tasks_after
            self.engines[partition] = found
        return found

    def feed(self, record: ReplayRecord) -> None:
        self.result.events += 1
        ingest = self.policy.ingest
        event = decode_event(
            record.topic, record.value, now=self.now, max_bytes=ingest.max_message_bytes,
            max_future_s=ingest.max_future_hours * 3600,
        )  # fmt: skip
        if isinstance(event, Rejected):
            self.result.rejected.append((record, event))
            return
        engine = self.engine(partition_for(record.key or event.customer_id, self.partitions))
        outcome = engine.handle(event)
        if isinstance(outcome, Rejected):
            self.result.rejected.append((record, outcome))
        elif outcome == DUPLICATE:
            self.result.duplicates += 1
        engine.advance(CLOCK_TOPICS)
        self._collect(engine)

    def _collect(self, engine: PartitionEngine) -> None:
        pending = deque([engine])
        while pending:
            out = pending.popleft().take_outbox()
            self.result.alerts.extend(out.alerts)
            self.result.tasks.extend(out.tasks)
            self.result.churns.extend(out.churns)
            self.result.stale_tasks += out.stale_tasks
            for record in out.internal:
                target = self.engine(partition_for(record.key, self.partitions))
                target.handle_internal(record.topic, record.key, record.value)
                self.result.internal += 1
                pending.append(target)  # its reply (a social record) goes out in turn

    def run(self, records: Iterable[ReplayRecord]) -> OfflineResult:
        for record in records:
            self.feed(record)
        return self.result


def run_offline(
    records: Iterable[ReplayRecord], policy: Policy, cal: Calendar, partitions: int = 8
) -> OfflineResult:
    return OfflineRunner(policy, cal, partitions).run(records)


def read_replay_file(lines: Iterable[bytes]) -> Iterator[ReplayRecord]:
    """The replay format: one `{"topic", "key", "value"}` JSON object per line."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj: Any = orjson.loads(line)
            topic, value = obj["topic"], obj["value"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"line {number}: not a replay record ({exc})") from exc
        key = obj.get("key") or (value.get("customer_id") if isinstance(value, dict) else None)
        raw = orjson.dumps(value) if not isinstance(value, str) else value.encode()
        yield ReplayRecord(topic, key, raw)
