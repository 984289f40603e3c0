"""A customer as of one moment: the read-only view every signal is computed from.

`last_day` is the last *complete* local day the evaluation may use, so a view never sees usage
that arrived after its moment, whichever order events came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streams.calendar import DAY_S, Calendar
from streams.state import CALLS_OUT, DATA_SESSIONS, SMS_OUT, CustomerState, Fact


@dataclass(slots=True)
class CustomerView:
    state: CustomerState
    as_of: int
    last_day: int
    cal: Calendar
    profile: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, state: CustomerState, as_of: int, last_day: int, cal: Calendar) -> CustomerView:
        return cls(state, as_of, last_day, cal, state.profile_as_of(as_of))

    def total(self, counter: int, first: int, last: int) -> int:
        days = self.state.days
        return sum(days[d][counter] for d in range(first, last + 1) if d in days)

    def recent_total(self, counter: int, n_days: int) -> int:
        return self.total(counter, self.last_day - n_days + 1, self.last_day)

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
