"""Event-time helpers: the simulated calendar and realistic hours of the day.

Days are numbered from 0 (the configured start date). Times inside a day are seconds
since midnight UTC; `ts` strings are RFC 3339 with `Z` and seconds precision.
"""

from __future__ import annotations

from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from random import Random

SECONDS_PER_DAY = 86_400

# Relative call/SMS intensity per hour of day.
_CONSUMER_HOURS = (
    0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.2, 1.3, 1.3, 1.4,
    1.6, 1.4, 1.2, 1.2, 1.3, 1.5, 1.8, 2.0, 2.0, 1.7, 1.2, 0.6,
)  # fmt: skip
_BUSINESS_WORKDAY_HOURS = (
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.5, 1.5, 2.2, 2.4, 2.2,
    1.2, 1.3, 2.0, 2.2, 2.0, 1.6, 1.0, 0.6, 0.4, 0.3, 0.2, 0.1,
)  # fmt: skip
_OFFICE_HOURS = (
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0,
    0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.3, 0.0, 0.0, 0.0, 0.0,
)  # fmt: skip


@dataclass(frozen=True)
class HourProfile:
    """A distribution over hours of the day, sampled to a second of the day."""

    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, weights: tuple[float, ...]) -> HourProfile:
        return cls(tuple(accumulate(weights)))

    def second_of_day(self, rng: Random) -> int:
        hour = bisect(self.cumulative, rng.random() * self.cumulative[-1])
        return min(hour, 23) * 3600 + rng.randrange(3600)


CONSUMER_HOURS = HourProfile.of(_CONSUMER_HOURS)
BUSINESS_WORKDAY_HOURS = HourProfile.of(_BUSINESS_WORKDAY_HOURS)
OFFICE_HOURS = HourProfile.of(_OFFICE_HOURS)  # stores, call centres, back office


def between(rng: Random, first_hour: int, last_hour: int) -> int:
    """A second of the day from `first_hour`:00:00 up to `last_hour`:59:59."""
    return rng.randrange(first_hour * 3600, (last_hour + 1) * 3600)


@dataclass(frozen=True)
class Calendar:
    """The simulated days: dates, midnight datetimes, RFC 3339 date prefixes, weekends."""

    start: date
    days: int
    dates: tuple[date, ...] = field(init=False, repr=False)
    midnights: tuple[datetime, ...] = field(init=False, repr=False)
    prefixes: tuple[str, ...] = field(init=False, repr=False)
    weekends: tuple[bool, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        dates = tuple(self.start + timedelta(days=d) for d in range(self.days))
        midnights = tuple(datetime.combine(d, time(), tzinfo=UTC) for d in dates)
        object.__setattr__(self, "dates", dates)
        object.__setattr__(self, "midnights", midnights)
        object.__setattr__(self, "prefixes", tuple(d.isoformat() + "T" for d in dates))
        object.__setattr__(self, "weekends", tuple(d.weekday() >= 5 for d in dates))

    def timestamp(self, day: int, second: int) -> tuple[datetime, str]:
        """The event time as a datetime and as its `ts` string."""
        hours, rest = divmod(second, 3600)
        minutes, seconds = divmod(rest, 60)
        text = f"{self.prefixes[day]}{hours:02d}:{minutes:02d}:{seconds:02d}Z"
        return self.midnights[day] + timedelta(seconds=second), text
