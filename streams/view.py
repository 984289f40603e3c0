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
    # Every counter summed per window asked for: a dozen signals read the same few windows.
    _sums: dict[tuple[int, int], list[int]] = field(default_factory=dict)

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
        return self.window(first, last)[counter]

    def window(self, first: int, last: int) -> list[int]:
        """Every usage counter summed over days `first`..`last`."""
        sums = self._sums.get((first, last))
        if sums is None:
            days = self.state.days
            buckets = [days[d] for d in range(first, last + 1) if d in days]
            sums = [sum(column) for column in zip(*buckets, strict=True)] or [0] * N_COUNTERS
            self._sums[(first, last)] = sums
        return sums

    def recent_total(self, counter: int, n_days: int) -> int:
        return self.total(counter, self.last_day - n_days + 1, self.last_day)

    def history_days(self) -> int:
        """Complete days of history up to `last_day`: since the first event or the activation,
        whichever is later (a recycled line's old usage is not this customer's)."""
        first = self.state.first_day
        if first is None:
            return 0
        activated = self.profile.get("activated_ts")
        if activated is not None:
            first = max(first, self.cal.day(activated))
        return max(0, self.last_day - first + 1)

    def known_since(self, day: int) -> bool:
        """True when the customer's history reaches back to `day` (a baseline exists)."""
        first = self.state.first_day
        activated = self.profile.get("activated_ts")
        if activated is not None and self.cal.day(activated) > day:
            return False
        return first is not None and first <= day

    def active_day(self, day: int) -> bool:
        bucket = self.state.days.get(day)
        return bucket is not None and bool(
            bucket[CALLS_OUT] or bucket[SMS_OUT] or bucket[DATA_SESSIONS]
        )

    def active_days(self, first: int, last: int) -> int:
        """How many of days `first`..`last` had outgoing voice, SMS or data."""
        days = self.state.days
        return sum(
            1
            for d in range(first, last + 1)
            if (b := days.get(d)) is not None and (b[CALLS_OUT] or b[SMS_OUT] or b[DATA_SESSIONS])
        )

    def idle_streak(self) -> int:
        """Consecutive days up to `last_day` with no outgoing voice, SMS or data."""
        first = self.state.first_day
        if first is None:
            return 0
        streak, day = 0, self.last_day
        while day >= first and not self.active_day(day):
            streak += 1
            day -= 1
        return streak

    def facts(self, kinds: frozenset[str], within_days: float) -> list[Fact]:
        start = self.as_of - int(within_days * DAY_S)
        return self.state.facts_between(start, self.as_of, kinds)

    def date(self, ts: int) -> str:
        return self.cal.to_date(self.cal.day(ts)).isoformat()
