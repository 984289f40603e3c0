"""Drops and silences judged against chance: a light user's quiet week and a weekend-only user's
weekdays are luck at their own baseline; a heavy user's fade alerts no later than without the rule.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from config.policy import SignalPolicy
from streams.chance import idle_run_chance, low_total_chance
from streams.signals import usage_drop, zero_activity
from tests.streams.scenarios import Life, day_close, state_of

P = SignalPolicy()
NO_RULE_DROP = dataclasses.replace(P.usage_drop, significance=1.0)
NO_RULE_SILENCE = dataclasses.replace(P.zero_activity, significance=1.0)
DAYS = 120


def _light_user(customer_id: str, rng: random.Random) -> Life:
    """About one outgoing call a day (a few minutes, some days none), an SMS every few days,
    a little data on most days: usage at the volume where a week is mostly chance."""
    life = Life(customer_id)
    for day in range(DAYS):
        for _ in range(_poisson(rng, 1.0)):
            life.call(day, max(0.1, rng.expovariate(1 / 3.0)), hour=rng.randint(8, 21))
        if rng.random() < 0.3:
            life.sms(day, hour=rng.randint(8, 21))
        if rng.random() < 0.6:
            life.data(day, rng.expovariate(1 / 8.0), hour=rng.randint(8, 23))
    return life


def _poisson(rng: random.Random, rate: float) -> int:
    count, total = 0, rng.expovariate(rate)
    while total < 1.0:
        count, total = count + 1, total + rng.expovariate(rate)
    return count


def _fired_days(life: Life, signal, policy) -> list[int]:
    state = state_of(life)
    return [day for day in range(40, DAYS) if signal(day_close(state, day), policy) is not None]


def test_a_light_users_quiet_weeks_are_not_a_drop():
    rng = random.Random(20261207)
    users = [_light_user(f"C{i:06d}", rng) for i in range(40)]
    without_rule = [u for u in users if _fired_days(u, usage_drop, NO_RULE_DROP)]
    with_rule = [u for u in users if _fired_days(u, usage_drop, P.usage_drop)]
    assert len(without_rule) >= 5  # the noise the rule is there for
    assert with_rule == []


def _heavy_fader(customer_id: str, rng: random.Random, fade_from: int) -> Life:
    """Ten calls, fifteen SMS and twenty data sessions a day, falling to a quarter over two
    weeks from `fade_from`."""
    life = Life(customer_id)
    for day in range(DAYS):
        level = 1.0 if day < fade_from else max(0.25, 1.0 - 0.75 * (day - fade_from) / 14)
        for _ in range(_poisson(rng, 10 * level)):
            life.call(day, max(0.1, rng.expovariate(1 / 3.0)), hour=rng.randint(8, 21))
        for _ in range(_poisson(rng, 15 * level)):
            life.sms(day, hour=rng.randint(8, 21))
        for _ in range(_poisson(rng, 20 * level)):
            life.data(day, rng.expovariate(1 / 20.0), hour=rng.randint(8, 23))
    return life


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_heavy_users_fade_is_a_drop_no_later_than_without_the_rule(seed: int):
    fader = _heavy_fader("C000001", random.Random(seed), fade_from=70)
    with_rule = _fired_days(fader, usage_drop, P.usage_drop)
    assert with_rule, "the fade was never a drop"
    assert with_rule[0] == _fired_days(fader, usage_drop, NO_RULE_DROP)[0]
    assert 70 < with_rule[0] <= 90


def _weekend_user(customer_id: str, last_day: int) -> Life:
    """Uses the line on Saturdays and Sundays only (story day 0 is a Monday), until `last_day`."""
    life = Life(customer_id)
    for day in range(last_day + 1):
        if day % 7 in (5, 6):
            life.call(day, 12).sms(day).data(day, 300)
    return life


def test_a_weekend_only_users_weekdays_are_no_silence():
    weekender = _weekend_user("C000002", DAYS)
    assert _fired_days(weekender, zero_activity, NO_RULE_SILENCE)  # every Friday, without it
    assert _fired_days(weekender, zero_activity, P.zero_activity) == []


def test_a_weekend_only_user_who_stops_is_silent_after_three_weeks():
    stopped = _weekend_user("C000003", 76)  # its last weekend is days 75 and 76
    fired = _fired_days(stopped, zero_activity, P.zero_activity)
    assert fired and 77 + 14 <= fired[0] <= 77 + 21


def test_a_daily_users_unusual_silence_still_fires_after_two_days():
    daily = Life("C000004")
    for day in range(60):
        daily.call(day, 5).sms(day).data(day, 100)
    fired = _fired_days(daily, zero_activity, P.zero_activity)
    assert fired[0] == 62  # the close of day 61: two idle days, 60 and 61


def test_chance_of_a_low_total():
    steady = [10] * 28
    assert low_total_chance(69.0, 7, steady) == 0.0
    assert low_total_chance(70.0, 7, steady) == 1.0
    alternating = [0, 20] * 14  # mean 10, day-to-day steps of 20
    assert low_total_chance(70.0, 7, alternating) == pytest.approx(0.5)
    assert low_total_chance(0.0, 7, alternating) > 0.01  # clumps make an empty week plausible
    shifted = [20] * 14 + [4] * 14  # a fade inside the baseline is not noise
    assert low_total_chance(28.0, 7, shifted) < 1e-6
    assert low_total_chance(35.0, 7, alternating, scale=0.5) == pytest.approx(0.5)


def test_chance_of_an_idle_run():
    assert idle_run_chance(5, 2 / 7) == pytest.approx((5 / 7) ** 5)
    assert idle_run_chance(2, 1.0) == 0.0
    assert idle_run_chance(3, 0.0) == 1.0


def test_a_weekend_only_user_two_weeks_into_the_data_is_not_silent_on_weekdays():
    weekender = Life("C000005")
    for day in range(5, 19):  # the data begins on a Saturday
        if day % 7 in (5, 6):
            weekender.call(day, 12).sms(day).data(day, 300)
    state = state_of(weekender)
    assert [d for d in range(7, 20) if zero_activity(day_close(state, d), P.zero_activity)] == []


def test_a_new_daily_user_who_falls_silent_is_silent_after_the_full_strength_days():
    new = Life("C000006")
    for day in range(0, 5):
        new.call(day, 5).sms(day).data(day, 100)
    state = state_of(new)
    fired = [d for d in range(5, 30) if zero_activity(day_close(state, d), P.zero_activity)]
    assert fired[0] == 5 + P.zero_activity.full_strength_days


def test_a_week_abroad_is_no_drop():
    traveller = Life("C000007")
    for day in range(35):
        traveller.call(day, 6).call(day, 4, hour=17).sms(day).data(day, 300)
    for day in range(35, 42):  # abroad: one short call and a little data a day, at roaming prices
        traveller.outgoing(day, 1, roaming=True)
    state = state_of(traveller)
    assert usage_drop(day_close(state, 42), NO_RULE_DROP) is None
    home = Life("C000008")
    for day in range(35):
        home.call(day, 6).call(day, 4, hour=17).sms(day).data(day, 300)
    for day in range(35, 42):
        home.outgoing(day, 1)
    assert usage_drop(day_close(state_of(home), 42), NO_RULE_DROP) is not None
