"""The partition's own population, day by day: how much its customers used and how many of them
were active. A nationwide holiday moves everybody at once; comparing a customer's drop with the
population's over the same days tells a holiday from a customer who is leaving.

Kept by the partition's engine for the usage horizon only: four numbers a day, whatever the
number of customers. It is never written anywhere: it is a sum of the customers' own day buckets,
so a recovered engine sums it again from the states it recovered (`Population.of`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from streams.state import CALLS_OUT, DATA_KB, DATA_SESSIONS, N_COUNTERS, SMS_OUT, VOICE_OUT_S

# The usage counters the population follows (those usage_drop compares), then active customers.
TRACKED = (VOICE_OUT_S, SMS_OUT, DATA_KB)  # usage_of spells these out: change both together
ACTIVE = len(TRACKED)

Usage = tuple[int, ...]  # the tracked counters of one customer-day, then 1 if active else 0
_NO_USAGE: Usage = (0,) * (ACTIVE + 1)


def usage_of(bucket: Sequence[int] | None) -> Usage:
    """The tracked part of one customer's day bucket (all zero for a day without one)."""
    if bucket is None:
        return _NO_USAGE
    active = bool(bucket[CALLS_OUT] or bucket[SMS_OUT] or bucket[DATA_SESSIONS])
    # Spelled out rather than looped over TRACKED: this runs twice for every CDR.
    return (bucket[VOICE_OUT_S], bucket[SMS_OUT], bucket[DATA_KB], int(active))


assert usage_of(list(range(N_COUNTERS)))[:ACTIVE] == TRACKED, "usage_of must follow TRACKED"


@dataclass(slots=True)
class Population:
    days: dict[int, list[int]] = field(default_factory=dict)
    # Window sums, valid until the next change: a day-close sweep asks the same few windows
    # for every customer of the partition.
    _sums: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    def count(self, day: int, before: Usage, after: Usage) -> None:
        """One customer's day went from `before` to `after` (an event was applied)."""
        if before == after:
            return
        totals = self.days.get(day)
        if totals is None:
            totals = self.days[day] = [0] * (ACTIVE + 1)
        for i in range(ACTIVE + 1):
            totals[i] += after[i] - before[i]
        self._sums.clear()

    def prune(self, keep_from: int) -> None:
        for day in [d for d in self.days if d < keep_from]:
            del self.days[day]
        self._sums.clear()

    def window(self, first: int, last: int) -> list[int]:
        """The tracked counters and active customer-days summed over days `first`..`last`."""
        sums = self._sums.get((first, last))
        if sums is None:
            rows = [self.days[d] for d in range(first, last + 1) if d in self.days]
            sums = [sum(column) for column in zip(*rows, strict=True)] or [0] * (ACTIVE + 1)
            self._sums[(first, last)] = sums
        return sums

    def per_active(self, counter: int, first: int, last: int) -> tuple[float, float]:
        """(usage of `counter` per active customer-day, active customers per day) over days
        `first`..`last`."""
        sums = self.window(first, last)
        used, active = sums[TRACKED.index(counter)], sums[ACTIVE]
        return (used / active if active else 0.0), active / (last - first + 1)

    def ratio(
        self, counter: int, baseline: tuple[int, int], recent: tuple[int, int], min_active: int
    ) -> float | None:
        """How the population's usage per active customer moved from the baseline days to the
        recent days (1.0: unchanged), or None when the baseline had fewer than `min_active`
        active customers a day — too few to tell a holiday from noise."""
        base, base_active = self.per_active(counter, *baseline)
        if base_active < min_active or base <= 0:
            return None
        now, _ = self.per_active(counter, *recent)
        return now / base

    @classmethod
    def of(
        cls, customers_days: Iterable[Mapping[int, Sequence[int]]], keep_from: int
    ) -> Population:
        """Summed from customers' day buckets, from day `keep_from` on: what counting every
        event applied to those customers gives."""
        population = cls()
        for days in customers_days:
            for day, bucket in days.items():
                if day >= keep_from:
                    population.count(day, _NO_USAGE, usage_of(bucket))
        return population
