"""Event-time days in the operator's time zone.

Days are numbered as days since 1970-01-01 *local*; windows and silence are counted in them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAY_S = 86_400
_EPOCH = date(1970, 1, 1)


class Calendar:
    """Maps epoch seconds to local day numbers and back, for one time zone."""

    def __init__(self, tz: ZoneInfo | str = "UTC") -> None:
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self._utc = self.tz.key == "UTC"
        # UTC offsets only change on the hour or half hour; caching per half hour is exact.
        self._offsets: dict[int, int] = {}

    def day(self, ts: int) -> int:
        """The local day number of epoch second `ts`."""
        if self._utc:
            return ts // DAY_S
        return (ts + self._offset(ts)) // DAY_S

    def day_start(self, day: int) -> int:
        """Epoch second at which local day `day` begins."""
        if self._utc:
            return day * DAY_S
        local = datetime.combine(_EPOCH + timedelta(days=day), datetime.min.time(), self.tz)
        return int(local.timestamp())

    def to_date(self, day: int) -> date:
        return _EPOCH + timedelta(days=day)

    def day_of_date(self, value: date) -> int:
        return (value - _EPOCH).days

    def weekday(self, day: int) -> int:
        """Monday is 0, as `date.weekday()`."""
        return (day + 3) % 7  # 1970-01-01 was a Thursday

    def _offset(self, ts: int) -> int:
        slot = ts // 1800
        cached = self._offsets.get(slot)
        if cached is None:
            delta = datetime.fromtimestamp(ts, UTC).astimezone(self.tz).utcoffset()
            cached = int(delta.total_seconds()) if delta else 0
            self._offsets[slot] = cached
        return cached
