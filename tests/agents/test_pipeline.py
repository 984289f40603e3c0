"""The worker's batch step on plain values: no broker, no Faust."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from prometheus_client import CollectorRegistry

from agents.metrics import Metrics
from agents.pipeline import Pipeline
from config.policy import Policy
from streams.calendar import Calendar
from streams.engine import PartitionClock
from streams.state import CustomerState
from tests.support.story import Story, merged
from topics.catalog import CDR, CLOCK_TOPICS
from topics.partitioning import partition_for


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int = 1_700_000_000_000


class EmptyStore:
    def load(
        self, partition: int
    ) -> tuple[list[CustomerState], PartitionClock | None, list[tuple[str, bytes]]]:
        return [], None, []


def pipeline(backfill_tasks: bool = True) -> Pipeline:
    """A pipeline whose wall clock reads 2033: the stories' tasks expired long before it, made
    only with `backfill_tasks`."""
    metrics = Metrics(CollectorRegistry())
    return Pipeline(
        Policy(), Calendar(), 8, metrics, EmptyStore(), wall_clock=lambda: 2e9,
        backfill_tasks=backfill_tasks,
    )  # fmt: skip


def messages_of(story: Story) -> list[Message]:
    partition = partition_for(story.customer_id, 8)
    return [
        Message(r.topic, partition, offset, r.key.encode() if r.key else None, r.value)
        for offset, r in enumerate(merged(story))
    ]


def caught_up(messages: list[Message]) -> dict[tuple[str, int], bool]:
    return {(t, m.partition): True for m in messages for t in CLOCK_TOPICS}


def sample(p: Pipeline, name: str, **labels: str) -> float:
    value = p.metrics.registry.get_sample_value(name, labels or None)
    return value or 0.0


def test_a_batch_yields_alerts_tasks_and_the_changed_state() -> None:
    story = Story("C000001").steady(0, 40).crm(38, "port_out_request")
    p = pipeline()
    batch = messages_of(story)
    out = p.process(batch, caught_up(batch))
    assert [a.reasons[0].signal for a in out.alerts] == ["port_out_request"]
    assert [t.action for t in out.tasks] == ["retention_call"]
    assert [s.customer_id for _, s in out.states] == ["C000001"]
    assert out.clocks and out.risk


def test_a_task_expired_at_wall_clock_is_not_made_and_is_counted() -> None:
    story = Story("C000001").steady(0, 40).crm(38, "port_out_request")
    p = pipeline(backfill_tasks=False)
    batch = messages_of(story)
    out = p.process(batch, caught_up(batch))
    assert [a.reasons[0].signal for a in out.alerts] == ["port_out_request"]
    assert out.tasks == []
    assert sample(p, "churnwatch_stale_tasks_skipped_total") == 1


def test_bad_messages_become_dead_letters_and_the_batch_completes() -> None:
    p = pipeline()
    good = messages_of(Story("C000001").steady(0, 2))
    bad = [
        Message(CDR, good[0].partition, 100, b"C000001", b"{oops"),
        Message(CDR, good[0].partition, 101, b"C000001", None),
        Message(CDR, good[0].partition, 102, b"C000001", b"\xff\xfe"),
    ]
    out = p.process([*good, *bad], caught_up(good))
    assert [d.code for d in out.deadletters] == ["invalid_json"] * 3
    assert [d.offset for d in out.deadletters] == [100, 101, 102]
    assert sample(p, "churnwatch_deadletters_total", code="invalid_json") == 3
    assert sample(p, "churnwatch_events_total", topic=CDR) == len(good) + 3


def test_a_redelivered_batch_is_counted_as_duplicates_and_changes_nothing() -> None:
    p = pipeline()
    batch = messages_of(Story("C000001").steady(0, 2))  # within the 72 h allowed lateness
    p.process(batch, caught_up(batch))
    before = p.engines[batch[0].partition].states["C000001"].to_bytes()
    again = p.process(batch, caught_up(batch))
    assert sample(p, "churnwatch_duplicate_events_total", topic=CDR) == len(batch)
    assert not again.alerts and not again.deadletters
    assert p.engines[batch[0].partition].states["C000001"].to_bytes() == before


def test_a_message_on_the_wrong_partition_is_dead_lettered() -> None:
    p = pipeline()
    (message,) = messages_of(Story("C000001").call(0))
    message.partition = (message.partition + 1) % 8
    out = p.process([message], {})
    assert [d.code for d in out.deadletters] == ["out_of_range"]


def test_without_caught_up_topics_the_clock_waits() -> None:
    p = pipeline()
    batch = messages_of(Story("C000001").steady(0, 20).crm(15, "port_out_request"))
    assert not p.process(batch, {}).alerts  # billing never seen and not known to be idle
    assert p.process([], caught_up(batch)).alerts == []  # nothing new in this batch
    late = messages_of(Story("C000001").steady(21, 21))
    for offset, m in enumerate(late, start=1000):
        m.offset = offset
    assert p.process(late, caught_up(late)).alerts


def test_state_round_trips_through_the_store_format() -> None:
    p = pipeline()
    batch = messages_of(Story("C000001").steady(0, 5))
    out = p.process(batch, caught_up(batch))
    ((_, state),) = out.states
    assert CustomerState.from_bytes(state.to_bytes()).to_bytes() == state.to_bytes()
    assert orjson.loads(out.clocks[0][1].to_bytes())
