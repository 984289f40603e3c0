"""A customer as of one moment: the read-only view every signal is computed from.

`last_day` is the last *complete* local day the evaluation may use, so a view never sees usage
that arrived after its moment, whichever order events came in. `population` is the partition's
day-by-day population (None when evaluated alone, as in unit tests): usage_drop measures a
customer against it so that a holiday dip does not alert everyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streams.calendar import DAY_S, Calendar
from streams.population import Population
from streams.state import CALLS_OUT, DATA_SESSIONS, N_COUNTERS, SMS_OUT, CustomerState, Fact


@dataclass(slots=True)
class CustomerView:
    state: CustomerState
    as_of: int
    last_day: int
    cal: Calendar
    profile: dict[str, Any] = field(default_factory=dict)
    population: Population | None = None
    # A dozen signals read the same few windows, each for one or two counters: the day buckets
    # of each window and each (counter, window) sum are worked out once per view.
    _buckets: dict[tuple[int, int], list[list[int]]] = field(default_factory=dict)
    _totals: dict[tuple[int, int, int], int] = field(default_factory=dict)
    # The facts up to `as_of` by kind, each in time order: built at the first `facts` call
    # (a dozen signals each ask for one or two kinds of the same few dozen facts).
    _by_kind: dict[str, list[Fact]] | None = None

    @classmethod
    def of(
        cls,
        state: CustomerState,
        as_of: int,
        last_day: int,
        cal: Calendar,
        population: Population | None = None,
    ) -> CustomerView:
        return cls(state, as_of, last_day, cal, state.profile_as_of(as_of), population)

    def total(self, counter: int, first: int, last: int) -> int:
        """One usage counter summed over days `first`..`last`."""
        key = (counter, first, last)
        found = self._totals.get(key)
        if found is None:
            found = self._totals[key] = sum([b[counter] for b in self._days(first, last)])
        return found

    def days_with(self, counter: int, first: int, last: int) -> int:
        """How many of days `first`..`last` had any of this counter."""
        return sum(1 for b in self._days(first, last) if b[counter])

    def daily(self, counter: int, first: int, last: int) -> list[int]:
        """One usage counter on each day `first`..`last`, in order (0 on a day without usage)."""
        days = self.state.days
        return [b[counter] if (b := days.get(d)) is not None else 0 for d in range(first, last + 1)]

    def window(self, first: int, last: int) -> list[int]:
        """Every usage counter summed over days `first`..`last`."""
        buckets = self._days(first, last)
        return [sum(column) for column in zip(*buckets, strict=True)] or [0] * N_COUNTERS

    def _days(self, first: int, last: int) -> list[list[int]]:
        found = self._buckets.get((first, last))
        if found is None:
            days = self.state.days
            if last - first + 1 > len(days):  # a long window over a short history
                found = [b for d, b in days.items() if first <= d <= last]
            else:
                found = [b for d in range(first, last + 1) if (b := days.get(d)) is not None]
            self._buckets[(first, last)] = found
        return found

    def recent_total(self, counter: int, n_days: int) -> int:
        return self.total(counter, self.last_day - n_days + 1, self.last_day)

    def history_days(self) -> int:
        """Complete days of usage history up to `last_day`: since the first usage or the
        activation, whichever is later (a recycled line's old usage is not this customer's)."""
        first = self.state.usage_from
        if first is None:
            return 0
        activated = self.profile.get("activated_ts")
        if activated is not None:
            first = max(first, self.cal.day(activated))
        return max(0, self.last_day - first + 1)

    def known_since(self, day: int) -> bool:
        """True when the customer's usage history reaches back to `day` (a baseline exists)."""
        first = self.state.usage_from
        activated = self.profile.get("activated_ts")
        if activated is not None and self.cal.day(activated) > day:
            return False
        return first is not None and first <= day

    def usage_began(self) -> bool:
        """Whether the customer's usage history covers any complete day of this view."""
        first = self.state.usage_from
        return first is not None and first <= self.last_day

    def active_day(self, day: int) -> bool:
        bucket = self.state.days.get(day)
        return bucket is not None and bool(
            bucket[CALLS_OUT] or bucket[SMS_OUT] or bucket[DATA_SESSIONS]
        )

    def active_days(self, first: int, last: int) -> int:
        """How many of days `first`..`last` had outgoing voice, SMS or data."""
        return sum(
            1 for b in self._days(first, last) if b[CALLS_OUT] or b[SMS_OUT] or b[DATA_SESSIONS]
        )

    def longest_idle_run(self, first: int, last: int) -> int:
        """The longest run of consecutive days in `first`..`last` without outgoing activity."""
        longest = run = 0
        for day in range(first, last + 1):
            run = 0 if self.active_day(day) else run + 1
            longest = max(longest, run)
        return longest

    def idle_streak(self) -> int:
        """Consecutive days up to `last_day` with no outgoing voice, SMS or data, counted
        within the usage history only (before it, nothing is known, not silence)."""
        first = self.state.usage_from
        if first is None:
            return 0
        streak, day = 0, self.last_day
        while day >= first and not self.active_day(day):
            streak += 1
            day -= 1
        return streak

    def facts(self, kinds: frozenset[str], within_days: float) -> list[Fact]:
        """Facts of these kinds from `within_days` before `as_of` up to it, in the state's
        order (time, then kind)."""
        by_kind = self._by_kind if self._by_kind is not None else self._index_facts()
        if not by_kind:
            return []  # most customers, most days: a dozen signals ask, none need a list
        start = self.as_of - int(within_days * DAY_S)
        found = [f for kind in kinds for f in by_kind.get(kind, ()) if f[0] >= start]
        if len(kinds) > 1:
            found.sort(key=_time_and_kind)  # stable: equal facts keep their arrival order
        return found

    def _index_facts(self) -> dict[str, list[Fact]]:
        by_kind: dict[str, list[Fact]] = {}
        for fact in self.state.facts:
            if fact[0] > self.as_of:
                break  # facts are in time order
            by_kind.setdefault(fact[1], []).append(fact)
        self._by_kind = by_kind
        return by_kind

    def date(self, ts: int) -> str:
        return self.cal.to_date(self.cal.day(ts)).isoformat()


def _time_and_kind(fact: Fact) -> tuple[int, str]:
    return fact[0], fact[1]
