"""Local event-time days in the operator's zone: UTC and Asia/Shanghai (UTC+8, no DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from streams.calendar import DAY_S, Calendar


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


UTC_CAL = Calendar("UTC")
SHANGHAI = Calendar("Asia/Shanghai")
D_2026_03_01 = (date(2026, 3, 1) - date(1970, 1, 1)).days


def test_utc_day_numbers_start_at_the_epoch():
    assert UTC_CAL.day(0) == 0
    assert UTC_CAL.day(DAY_S - 1) == 0
    assert UTC_CAL.day(DAY_S) == 1


def test_utc_day_of_a_moment():
    assert UTC_CAL.day(_epoch("2026-03-01T00:00:00Z")) == D_2026_03_01
    assert UTC_CAL.day(_epoch("2026-03-01T23:59:59Z")) == D_2026_03_01
    assert UTC_CAL.day(_epoch("2026-03-01T08:15:00+08:00")) == D_2026_03_01


def test_utc_day_start():
    assert UTC_CAL.day_start(D_2026_03_01) == _epoch("2026-03-01T00:00:00Z")


def test_shanghai_day_turns_at_16_utc():
    assert SHANGHAI.day(_epoch("2026-02-28T15:59:59Z")) == D_2026_03_01 - 1
    assert SHANGHAI.day(_epoch("2026-02-28T16:00:00Z")) == D_2026_03_01
    assert SHANGHAI.day(_epoch("2026-03-01T08:15:00+08:00")) == D_2026_03_01
    assert SHANGHAI.day(_epoch("2026-03-01T23:59:59+08:00")) == D_2026_03_01


def test_shanghai_day_start_is_local_midnight():
    start = SHANGHAI.day_start(D_2026_03_01)
    assert start == _epoch("2026-03-01T00:00:00+08:00")
    assert start == UTC_CAL.day_start(D_2026_03_01) - 8 * 3600


def test_shanghai_and_utc_disagree_on_the_evening_utc():
    moment = _epoch("2026-03-01T20:00:00Z")  # 04:00 on 2 March in Shanghai
    assert UTC_CAL.day(moment) == D_2026_03_01
    assert SHANGHAI.day(moment) == D_2026_03_01 + 1


@pytest.mark.parametrize(
    "cal", [UTC_CAL, SHANGHAI, Calendar("Europe/Berlin")], ids=lambda c: c.tz.key
)
def test_day_and_day_start_agree(cal):
    for day in range(D_2026_03_01 - 40, D_2026_03_01 + 40):  # spans Berlin's DST change
        start = cal.day_start(day)
        assert cal.day(start) == day
        assert cal.day(start - 1) == day - 1
        local = datetime.fromtimestamp(start, UTC).astimezone(cal.tz)
        assert (local.hour, local.minute) == (0, 0)


def test_a_dst_day_is_23_hours_long_in_berlin():
    berlin = Calendar(ZoneInfo("Europe/Berlin"))
    day = (date(2026, 3, 29) - date(1970, 1, 1)).days
    assert berlin.day_start(day + 1) - berlin.day_start(day) == 23 * 3600


def test_dates_and_weekdays():
    assert UTC_CAL.to_date(D_2026_03_01) == date(2026, 3, 1)
    assert UTC_CAL.day_of_date(date(2026, 3, 1)) == D_2026_03_01
    assert UTC_CAL.weekday(0) == 3  # 1970-01-01 was a Thursday
    assert UTC_CAL.weekday(D_2026_03_01) == date(2026, 3, 1).weekday()
    assert SHANGHAI.to_date(D_2026_03_01) == date(2026, 3, 1)


def test_a_calendar_takes_a_zone_name_or_a_zoneinfo():
    assert Calendar(ZoneInfo("Asia/Shanghai")).day(0) == SHANGHAI.day(0) == 0
    assert SHANGHAI.day(16 * 3600) == 1  # 1970-01-02 00:00 in Shanghai
