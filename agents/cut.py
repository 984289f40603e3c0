"""What a flush writes: the state changed since the last one, cut at a batch boundary.

A flush used to serialise every changed customer at once, between two batches, while no batch
could run: about 30 us a customer, and after five seconds of traffic most customers have
changed (~9.5k in the bench's latency run: 300-500 ms, the latency tail). A `Cut` fixes which
states, clocks and offsets belong together at a batch boundary, and serialises the states a
slice at a time over the next batches. It stays consistent because the engine calls
`before_change(state)` before it changes any state (`streams.engine`): a state the cut still
owes is serialised then, as it was at the cut. The changelog gets exactly the states as of the
cut's offsets, wherever the slices fall.

A cut holds whole partitions, not necessarily all of them. A customer, its clock, its share of
the number directory and the offsets that produced them all live on one partition, so one
partition's pending state is consistent on its own. Cutting every partition at once made the
whole worker's state due in the same moment: for the next half second nearly every batch had
to serialise the customers it touched before touching them, and ran at half speed — the
latency tail of the bench's half-load run (~10k states at ~30 us; a batch's oldest event
waited 400-700 ms). So partitions are cut in turn, each every `every_s`, at most a
`1/SHARES` share of them at a time and one share every `every_s / SHARES`: the same work,
spread evenly. The serving store's changes are a latest view, not part of any cut: each cut
takes them all.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection
from typing import TypeVar

from aiokafka import TopicPartition

from agents.changelog import clock_key, directory_key
from agents.changelog_writer import Record
from agents.pipeline import Emissions
from streams.engine import PartitionClock
from streams.state import CustomerState

log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")
# The largest state record written: librdkafka's default message.max.bytes (and the broker's
# max.message.bytes) is 1,000,000, less room for the key and the record batch's framing.
MAX_STATE_BYTES = 990_000 - 16 * 1024
# Partitions are cut in this many turns per `every_s` (see the module's docstring).
SHARES = 8


class PendingState:
    """Changed state and processed offsets since each partition's last cut (latest value per
    key), and since when each partition has had something to write."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.states: dict[tuple[int, str], tuple[int, CustomerState]] = {}
        self.directory: dict[tuple[int, str], bytes] = {}
        self.clocks: dict[int, PartitionClock] = {}
        self.risk: dict[str, CustomerState] = {}
        self.offsets: dict[TopicPartition, int] = {}
        self.clock = clock
        self.since: dict[int, float] = {}  # partition -> first change since its last cut
        self.last_take = -math.inf

    @property
    def empty(self) -> bool:
        return not (self.states or self.directory or self.clocks or self.risk or self.offsets)

    @property
    def partitions(self) -> set[int]:
        """Every partition with something pending."""
        return set(self.since)

    def add(self, em: Emissions, offsets: dict[TopicPartition, int]) -> None:
        for partition, state in em.states:
            self.states[(partition, state.customer_id)] = (partition, state)
        for partition, digest, value in em.directory:
            self.directory[(partition, digest)] = value
        self.clocks.update(dict(em.clocks))
        self.risk.update((state.customer_id, state) for state in em.risk)
        self.offsets.update(offsets)
        now = self.clock()
        changed = {p for p, _ in em.states} | {p for p, _ in em.clocks}
        changed |= {p for p, _, _ in em.directory}
        for partition in changed | {tp.partition for tp in offsets}:
            self.since.setdefault(partition, now)

    def due(self, every_s: float, max_states: int) -> list[int]:
        """The partitions to cut now, oldest first: every one when `max_states` wait; else
        those pending for `every_s`, a share at a time, a share every `every_s / SHARES`."""
        if len(self.states) >= max_states:
            return sorted(self.since)
        now = self.clock()
        if now - self.last_take < every_s / SHARES:
            return []
        ripe = sorted((t, p) for p, t in self.since.items() if now - t >= every_s)
        share = math.ceil(len(self.since) / SHARES)
        return [p for _, p in ripe[:share]]

    def take(self, partitions: Collection[int]) -> PendingState:
        """What is pending for `partitions`, moved out into a PendingState of its own; the
        serving store's changes go with it whole (a latest view, see the module's docstring)."""
        taken = PendingState(self.clock)
        taken.states = _pop_where(self.states, lambda key: key[0] in partitions)
        taken.directory = _pop_where(self.directory, lambda key: key[0] in partitions)
        taken.clocks = _pop_where(self.clocks, lambda p: p in partitions)
        taken.offsets = _pop_where(self.offsets, lambda tp: tp.partition in partitions)
        taken.since = _pop_where(self.since, lambda p: p in partitions)
        taken.risk, self.risk = self.risk, {}
        self.last_take = self.clock()
        return taken


def _pop_where(found: dict[K, V], wanted: Callable[[K], bool]) -> dict[K, V]:
    """The entries of `found` whose key is `wanted`, removed from it."""
    return {key: found.pop(key) for key in [k for k in found if wanted(k)]}


class Cut:
    """Pending state frozen at a batch boundary; its states serialised lazily (see above)."""

    def __init__(self, pending: PendingState) -> None:
        self.risk = list(pending.risk.values())  # the serving store takes the latest: no cut
        self.offsets = pending.offsets
        # A customer lives on one partition: its id alone names what the cut owes.
        self.owed = {cid: (p, state) for (p, cid), (_, state) in pending.states.items()}
        self.states: list[Record] = []
        self.shed_ids = self.shed_facts = 0  # let go to fit a state in MAX_STATE_BYTES
        self.directory = [(p, directory_key(d), v) for (p, d), v in pending.directory.items()]
        # Clocks change in place and are few: taken now.
        self.clocks = [(p, clock_key(p), c.to_bytes()) for p, c in pending.clocks.items()]

    @property
    def serialised(self) -> bool:
        return not self.owed

    def before_change(self, state: CustomerState) -> None:
        """The engine is about to change `state`: if the cut still owes it, take it now."""
        owed = self.owed.pop(state.customer_id, None)
        if owed is not None:
            self._take(*owed)

    def serialise(self, limit: int | None = None) -> None:
        """Take up to `limit` owed states (all without one)."""
        owed = self.owed
        for _ in range(len(owed) if limit is None else min(limit, len(owed))):
            self._take(*owed.popitem()[1])

    def records(self) -> list[Record]:
        """The states and directory entries, once `serialised` (clocks go after, alone)."""
        assert self.serialised, "serialise() first"
        return self.states + self.directory

    def _take(self, partition: int, state: CustomerState) -> None:
        raw, ids, facts = state.to_bytes_within(MAX_STATE_BYTES)
        if ids or facts:
            log.warning("customer state over %d bytes: %d event ids and %d facts let go",
                        MAX_STATE_BYTES, ids, facts)  # fmt: skip
            self.shed_ids, self.shed_facts = self.shed_ids + ids, self.shed_facts + facts
        self.states.append((partition, state.customer_id.encode(), raw))
