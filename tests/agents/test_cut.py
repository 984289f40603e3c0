"""A cut writes every state as it was at the cut, however the batches after it change them."""

from __future__ import annotations

import random
from collections import defaultdict

import orjson

from agents.cut import Cut, PendingState
from agents.pipeline import Emissions, Pipeline
from sim.population import SimConfig, simulate
from streams.engine import PartitionClock
from streams.state import CustomerState
from tests.agents.test_pipeline import Message, pipeline
from topics.catalog import CLOCK_TOPICS
from topics.partitioning import partition_for


def pending_of(*states: tuple[int, CustomerState]) -> PendingState:
    pending = PendingState()
    pending.add(Emissions(states=list(states)), {})
    return pending


def test_a_state_about_to_change_is_taken_as_it_was() -> None:
    state = CustomerState("C000001", level="high")
    cut = Cut(pending_of((3, state)))
    cut.before_change(state)
    state.level = "none"
    assert not cut.owed
    assert [(p, CustomerState.from_bytes(v).level) for p, _, v in cut.records()] == [(3, "high")]


def test_a_state_taken_already_is_not_taken_again() -> None:
    state = CustomerState("C000001")
    cut = Cut(pending_of((3, state)))
    cut.serialise(1)
    cut.before_change(state)
    assert len(cut.records()) == 1


def test_serialise_takes_at_most_a_slice() -> None:
    cut = Cut(pending_of(*[(0, CustomerState(f"C{n:06d}")) for n in range(5)]))
    cut.serialise(2)
    assert (len(cut.states), len(cut.owed), cut.serialised) == (2, 3, False)
    cut.serialise()
    assert cut.serialised


def test_clocks_are_taken_at_the_cut() -> None:
    clock = PartitionClock(event_clock=100)
    pending = PendingState()
    pending.add(Emissions(clocks=[(2, clock)]), {})
    cut = Cut(pending)
    clock.event_clock = 200
    assert PartitionClock.from_bytes(cut.clocks[0][2]).event_clock == 100


class _Watch:
    """The engines' hook, forwarding to whichever cut is open (as `Ingest` does)."""

    def __init__(self) -> None:
        self.cut: Cut | None = None
        self.taken = 0  # states the hook took, before a change, rather than a slice

    def __call__(self, state: CustomerState) -> None:
        if self.cut is not None:
            owed = len(self.cut.owed)
            self.cut.before_change(state)
            self.taken += owed - len(self.cut.owed)


def _batches(seed: int) -> list[list[Message]]:
    _, records = simulate(SimConfig(customers=150, days=75, seed=seed))
    offsets: dict[tuple[str, int], int] = defaultdict(int)
    messages = []
    for r in records:
        partition = partition_for(r.key, 8)
        offset = offsets[(r.topic, partition)]
        offsets[(r.topic, partition)] += 1
        messages.append(Message(r.topic, partition, offset, r.key.encode(), orjson.dumps(r.value)))
    rng = random.Random(seed)
    batches, at = [], 0
    while at < len(messages):
        size = rng.randint(50, 900)
        batches.append(messages[at : at + size])
        at += size
    return batches


def _internal(em: Emissions) -> list[Message]:
    """The batch's contact-graph records, read back as the internal topics would give them."""
    return [
        Message(r.topic, partition_for(r.key, 8), 0, r.key.encode(), r.value) for r in em.internal
    ]


def test_every_state_written_is_the_state_at_its_cut_over_a_replay() -> None:
    """Slices of a few states, cuts every few batches, over 75 days of a population: whatever
    changes a state after its cut (an event, an evaluation, a day close, a contact's churn),
    the cut writes it as it was. Any change path that forgot `before_change` fails here."""
    pipe: Pipeline = pipeline()
    watch = _Watch()
    pipe.before_change = watch
    pending, expected = PendingState(), {}
    checked = 0
    rng = random.Random(5)
    internal: list[Message] = []
    for batch in _batches(seed=21):
        em = pipe.process([*internal, *batch], dict.fromkeys(_all_clock_topics(), True))
        internal = _internal(em)
        pending.add(em, {})
        if watch.cut is None and rng.random() < 0.3:
            expected = {s.customer_id.encode(): s.to_bytes() for _, s in pending.states.values()}
            watch.cut, pending = Cut(pending), PendingState()
        cut = watch.cut
        if cut is not None:
            cut.serialise(3)
            if cut.serialised:
                assert {key: value for _, key, value in cut.states} == expected
                checked, watch.cut = checked + 1, None
    assert checked > 10
    assert watch.taken > 100


def _all_clock_topics() -> list[tuple[str, int]]:
    return [(topic, partition) for topic in CLOCK_TOPICS for partition in range(8)]
