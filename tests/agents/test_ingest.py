"""The flush under way (`StateFlush`): serialised a slice at a time between batches, its clocks
fixed when it began, so no state it writes is older than the clocks written after them."""

from __future__ import annotations

from aiokafka import TopicPartition

from agents.changelog import clock_key, directory_key
from agents.ingest import PendingState, StateFlush
from agents.pipeline import Emissions
from streams.engine import PartitionClock
from streams.state import CustomerState


def _pending(customers: int) -> tuple[PendingState, list[CustomerState], PartitionClock]:
    states = [CustomerState(f"C{i:06d}") for i in range(customers)]
    clock = PartitionClock({"telecom.cdr": 100}, 100, 1)
    emissions = Emissions(
        states=[(0, s) for s in states],
        clocks=[(0, clock)],
        directory=[(0, "d1", b'["C000000",5]')],
        risk=states[:1],
    )
    pending = PendingState()
    pending.add(emissions, {TopicPartition("telecom.cdr", 0): 42})
    return pending, states, clock


def test_a_flush_serialises_its_states_a_slice_at_a_time():
    pending, _, _ = _pending(5)
    flush = StateFlush(pending)
    assert [flush.serialise(2), flush.serialise(2)] == [False, False]
    assert flush.serialise(2) is True and flush.serialised
    keys = [key for _, key, _ in flush.records]
    assert keys == [directory_key("d1"), *[f"C{i:06d}".encode() for i in range(5)]]
    assert flush.offsets == {TopicPartition("telecom.cdr", 0): 42}
    assert [s.customer_id for s in flush.risk] == ["C000000"]


def test_the_clocks_are_those_of_when_the_flush_began_and_the_states_the_newest():
    pending, states, clock = _pending(2)
    flush = StateFlush(pending)
    clock.event_clock, clock.closed_day = 200, 2  # a batch between two slices
    states[1].level = "high"
    flush.serialise(None)
    assert flush.clocks == [
        (0, clock_key(0), PartitionClock({"telecom.cdr": 100}, 100, 1).to_bytes())
    ]
    written = CustomerState.from_bytes(flush.records[-1][2])
    assert (written.customer_id, written.level) == ("C000001", "high")


def test_serialising_everything_at_once_is_the_same_flush():
    sliced, _, _ = _pending(3)
    whole, _, _ = _pending(3)
    one, other = StateFlush(sliced), StateFlush(whole)
    while not one.serialise(1):
        pass
    other.serialise(None)
    assert one.records == other.records
