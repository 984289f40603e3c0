"""A cut writes every state as it was at the cut, however the batches after it change them."""

from __future__ import annotations

import random
from collections import defaultdict

import orjson
from aiokafka import TopicPartition

from agents.cut import SHARES, Cut, PendingState
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
    """Slices of a few states, cuts of some partitions every few batches, over 75 days of a
    population: whatever
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
            # Some partitions, as the worker cuts them in turns; the others wait their turn.
            taking = set(rng.sample(range(8), rng.randint(1, 8)))
            expected = {
                s.customer_id.encode(): s.to_bytes()
                for p, s in pending.states.values()
                if p in taking
            }
            watch.cut = Cut(pending.take(taking))
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


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _pending_on(partitions: range, clock: _Clock) -> PendingState:
    pending = PendingState(clock)
    for p in partitions:
        tp = TopicPartition("telecom.cdr", p)
        pending.add(Emissions(states=[(p, CustomerState(f"C{p:06d}"))]), {tp: 10 + p})
    return pending


def test_take_moves_a_partitions_state_clock_directory_and_offsets_out() -> None:
    clock = _Clock()
    pending = _pending_on(range(3), clock)
    pending.add(
        Emissions(
            clocks=[(1, PartitionClock(event_clock=5))],
            directory=[(1, "d1", b"x"), (2, "d2", b"y")],
            risk=[CustomerState("C000002")],
        ),
        {},
    )
    taken = pending.take({1})
    assert [cid for _, cid in taken.states] == ["C000001"]
    assert list(taken.directory) == [(1, "d1")] and list(taken.clocks) == [1]
    assert taken.offsets == {TopicPartition("telecom.cdr", 1): 11}
    assert list(taken.risk) == ["C000002"] and not pending.risk  # a latest view: all of it
    assert pending.partitions == {0, 2} and taken.partitions == {1}
    assert sorted(cid for _, cid in pending.states) == ["C000000", "C000002"]


def test_partitions_are_due_in_turns_a_share_at_a_time() -> None:
    clock = _Clock()
    pending = _pending_on(range(SHARES), clock)
    assert pending.due(5.0, 50_000) == []  # nothing has waited five seconds
    clock.now += 5.0
    turns = []
    for _ in range(SHARES):
        due = pending.due(5.0, 50_000)
        turns.append(due)
        pending.take(due)
        assert pending.due(5.0, 50_000) == []  # the next share waits its turn
        clock.now += 5.0 / SHARES
    assert turns == [[p] for p in range(SHARES)]  # oldest first; all of them within 5 s


def test_a_partition_with_only_a_directory_change_is_pending() -> None:
    pending = PendingState(_Clock())
    pending.add(Emissions(directory=[(5, "d5", b"x")]), {})
    assert pending.partitions == {5}


def test_every_partition_is_due_when_too_many_states_wait() -> None:
    pending = _pending_on(range(4), _Clock())
    assert pending.due(5.0, max_states=4) == [0, 1, 2, 3]


def test_a_share_is_a_fraction_of_the_partitions_pending() -> None:
    clock = _Clock()
    pending = _pending_on(range(3 * SHARES), clock)
    clock.now += 5.0
    assert pending.due(5.0, 50_000) == [0, 1, 2]
