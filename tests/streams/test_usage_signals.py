"""The usage signals: each fires on the playbook's story with its value and sentence, and stays
quiet on the near miss just short of its threshold. usage_drop also measures a customer against
the partition's population when the population dipped (a holiday week)."""

from __future__ import annotations

import pytest

from config.policy import Policy, SignalPolicy
from streams.population import Population
from streams.scorecard import score_signals
from streams.signals import (
    all_signals,
    call_forwarding,
    competitor_contact,
    network_quality,
    spend_below_plan,
    usage_drop,
    zero_activity,
)
from tests.streams.scenarios import BASE_DAY, Life, day_close, state_of
from tests.support.story import Story

P = SignalPolicy()
EVAL_DAY = 35  # day close at the start of story day 35: recent week 28..34, baseline 0..27


# --- usage_drop -------------------------------------------------------------------------------


def _fading(recent_share: float) -> Life:
    """Four weeks of 10 min voice + 100 MB a day, then a week at `recent_share` of that."""
    return (
        Life("C000001")
        .usage(0, 27, minutes=10, mb=100)
        .usage(28, 34, minutes=10 * recent_share, mb=100 * recent_share)
    )


def test_usage_drop_fires_when_last_week_is_down_60_percent():
    view = day_close(state_of(_fading(0.4)), EVAL_DAY)
    signal = usage_drop(view, P.usage_drop)
    assert signal is not None
    assert signal.id == "usage_drop"
    assert signal.value == pytest.approx(0.6)
    assert signal.strength == pytest.approx(0.6)  # 0.5 at 50%, 1.0 at 100%
    assert signal.detail == "voice minutes down 60% vs 4-week baseline (data down 60%)"


def test_usage_drop_quiet_when_usage_is_down_only_45_percent():
    view = day_close(state_of(_fading(0.55)), EVAL_DAY)
    assert usage_drop(view, P.usage_drop) is None


def test_usage_drop_names_the_worst_channel_first():
    story = (
        Life("C000001")
        .usage(0, 27, minutes=10, mb=100)
        .usage(28, 34, minutes=1, mb=60)  # voice -90%, data -40%: mean 65%
    )
    signal = usage_drop(day_close(state_of(story), EVAL_DAY), P.usage_drop)
    assert signal is not None
    assert signal.value == pytest.approx(0.65)
    assert signal.detail == "voice minutes down 90% vs 4-week baseline (data down 40%)"


def test_no_usage_drop_for_a_new_customer_without_a_full_baseline():
    # Joined on day 10: the four weeks before the recent one are not all ours to compare with.
    story = Life("C000001").usage(10, 27, minutes=10, mb=100).usage(28, 34, minutes=1, mb=1)
    assert usage_drop(day_close(state_of(story), EVAL_DAY), P.usage_drop) is None


def test_no_usage_drop_when_activation_is_inside_the_baseline():
    # Usage data reaching back is not enough when the CRM says the line is younger.
    story = _fading(0.1).crm(5, "activation")
    assert usage_drop(day_close(state_of(story), EVAL_DAY), P.usage_drop) is None


def test_no_usage_drop_for_a_light_user_with_few_active_baseline_days():
    story = Life("C000001")
    for day in range(0, 28, 4):  # 7 active days in the baseline, fewer than 10
        story.call(day, 60).data(day, 700)
    story.usage(28, 34, minutes=1, mb=1)
    assert usage_drop(day_close(state_of(story), EVAL_DAY), P.usage_drop) is None


def test_zero_activity_takes_over_usage_drop_silence_explains_it():
    story = Life("C000001").usage(0, 27, minutes=10, mb=100)  # then a silent week: -100%
    view = day_close(state_of(story), EVAL_DAY)
    assert [s.id for s in all_signals(view, P)] == ["usage_drop", "zero_activity"]
    reasons = score_signals(all_signals(view, P), Policy().score).reasons
    assert [(r.signal, r.contribution) for r in reasons] == [("zero_activity", 7.0)]


def test_usage_drop_still_fires_when_the_idle_days_are_too_few_for_silence():
    # Quiet spells of three days are this customer's habit: idle 32..34 is no silence yet.
    story = (
        Life("C000001")
        .usage(0, 7, minutes=10, mb=100)
        .usage(11, 27, minutes=10, mb=100)  # quiet 8..10
        .usage(28, 31, minutes=1, mb=1)
    )
    view = day_close(state_of(story), EVAL_DAY)
    assert [s.id for s in all_signals(view, P)] == ["usage_drop"]


# --- zero_activity ----------------------------------------------------------------------------


def test_zero_activity_fires_after_five_idle_days_for_a_customer_often_quiet_that_long():
    story = (
        Life("C000001").usage(0, 9, minutes=10, mb=100).usage(15, 29, minutes=10, mb=100)
    )  # quiet 10..14 before, idle 30..34 now
    signal = zero_activity(day_close(state_of(story), EVAL_DAY), P.zero_activity)
    assert signal is not None
    assert (signal.id, signal.value, signal.strength) == ("zero_activity", 5, 0.5)
    assert signal.detail == "no outgoing calls, SMS or data for 5 days"


def test_five_idle_days_of_a_daily_user_are_a_stronger_silence():
    story = Life("C000001").usage(0, 29, minutes=10, mb=100)  # idle 30..34
    signal = zero_activity(day_close(state_of(story), EVAL_DAY), P.zero_activity)
    assert signal is not None
    # Unusual from 2 days: 0.5 there, 1.0 at 10 days.
    assert (signal.value, signal.strength) == (5, pytest.approx(0.6875))
    assert signal.detail == "no outgoing calls, SMS or data for 5 days"


def test_zero_activity_quiet_after_four_idle_days_for_a_customer_often_quiet_that_long():
    story = (
        Life("C000001").usage(0, 11, minutes=10, mb=100).usage(16, 30, minutes=10, mb=100)
    )  # quiet 12..15 in the four weeks before, idle 31..34 now
    assert zero_activity(day_close(state_of(story), EVAL_DAY), P.zero_activity) is None


def test_zero_activity_fires_after_two_idle_days_longer_than_any_quiet_spell_before():
    story = Life("C000001").usage(0, 32, minutes=10, mb=100)  # daily user, idle 33..34
    signal = zero_activity(day_close(state_of(story), EVAL_DAY), P.zero_activity)
    assert signal is not None
    assert (signal.value, signal.strength) == (2, 0.5)
    assert signal.detail == "no outgoing calls, SMS or data for 2 days"


def test_zero_activity_quiet_after_one_idle_day():
    story = Life("C000001").usage(0, 33, minutes=10, mb=100)  # idle 34 only
    assert zero_activity(day_close(state_of(story), EVAL_DAY), P.zero_activity) is None


def test_zero_activity_waits_for_min_days_when_the_customer_was_as_quiet_before():
    story = (
        Life("C000001").usage(0, 9, minutes=10, mb=100).usage(13, 31, minutes=10, mb=100)
    )  # quiet 10..12 before, idle 32..34 now: no longer than usual
    assert zero_activity(day_close(state_of(story), EVAL_DAY), P.zero_activity) is None


def test_zero_activity_waits_for_min_days_without_four_weeks_of_history():
    story = Life("C000001").usage(10, 31, minutes=10, mb=100)  # joined on day 10, idle 32..34
    assert zero_activity(day_close(state_of(story), EVAL_DAY), P.zero_activity) is None


def test_incoming_calls_do_not_break_the_silence():
    story = Life("C000001").usage(0, 24, minutes=10, mb=100)
    for day in range(25, 35):
        story.incoming(day)
    signal = zero_activity(day_close(state_of(story), EVAL_DAY), P.zero_activity)
    assert signal is not None
    assert (signal.value, signal.strength) == (10, 1.0)  # full strength at 10 days


def test_one_sms_breaks_the_silence():
    story = Life("C000001").usage(0, 29, minutes=10, mb=100).sms(32)
    signal = zero_activity(day_close(state_of(story), EVAL_DAY), P.zero_activity)
    assert signal is None  # idle 33..34 only


# --- competitor_contact -----------------------------------------------------------------------


def test_competitor_contact_fires_on_a_call_to_a_competitor_hotline():
    story = Story("C000001").steady(0, 34).call(30, 3, to="10010", hour=15)
    signal = competitor_contact(day_close(state_of(story), EVAL_DAY), P.competitor_contact)
    assert signal is not None
    assert (signal.id, signal.value, signal.strength) == ("competitor_contact", 1, 0.5)
    assert signal.detail == "1 call or SMS to competitors' hotlines in the last 30 days"


def test_competitor_numbers_match_with_country_prefix_and_extension():
    story = (
        Story("C000001")
        .steady(0, 34)
        .call(30, 3, to="+8610000", hour=15)
        .sms(31, to="0086100995", hour=15)
        .call(32, 3, to="1001012", hour=15)
    )
    signal = competitor_contact(day_close(state_of(story), EVAL_DAY), P.competitor_contact)
    assert signal is not None
    assert (signal.value, signal.strength) == (3, 1.0)  # full strength at 3 contacts
    assert signal.detail == "3 calls or SMS to competitors' hotlines in the last 30 days"


def test_no_competitor_contact_for_our_own_hotline_and_ordinary_numbers():
    story = (
        Story("C000001")
        .steady(0, 34)
        .call(30, 3, to="10086", hour=15)
        .call(31, 3, to="+8613800138000", hour=15)
    )
    assert competitor_contact(day_close(state_of(story), EVAL_DAY), P.competitor_contact) is None


def test_no_competitor_contact_outside_the_30_day_window():
    story = Story("C000001").steady(0, 34).call(4, 3, to="10010", hour=15)  # 31 days back
    assert competitor_contact(day_close(state_of(story), EVAL_DAY), P.competitor_contact) is None


# --- usage_drop against the population ---------------------------------------------------------


def _population(active: int, recent_share: float) -> Population:
    """`active` customers a day, each with 10 voice minutes, 1 SMS and 100 MB, over story days
    0..27; then a week at `recent_share` of that (days 28..34)."""
    population = Population()
    for day in range(35):
        share = recent_share if day >= 28 else 1.0
        population.days[BASE_DAY + day] = [
            int(active * 600 * share),
            int(active * share),
            int(active * 100 * 1024 * share),
            active,
        ]
    return population


def test_a_holiday_dip_shared_by_the_population_is_no_usage_drop():
    view = day_close(state_of(_fading(0.4)), EVAL_DAY, population=_population(200, 0.5))
    assert usage_drop(view, P.usage_drop) is None  # down 60%, everybody down 50%: -20%


def test_a_drop_well_beyond_the_holiday_dip_still_fires():
    view = day_close(state_of(_fading(0.1)), EVAL_DAY, population=_population(200, 0.5))
    signal = usage_drop(view, P.usage_drop)
    assert signal is not None
    assert signal.value == pytest.approx(0.8)  # a tenth of usage, against everybody's half
    assert signal.detail == (
        "voice minutes down 80% vs 4-week baseline beyond the 50% dip of all customers "
        "(data down 80%)"
    )


def test_a_small_population_is_not_trusted_to_explain_a_drop():
    view = day_close(state_of(_fading(0.4)), EVAL_DAY, population=_population(20, 0.5))
    signal = usage_drop(view, P.usage_drop)  # 20 active a day: fewer than 50
    assert signal is not None and signal.value == pytest.approx(0.6)


def test_a_population_dip_under_ten_percent_changes_nothing():
    view = day_close(state_of(_fading(0.45)), EVAL_DAY, population=_population(200, 0.95))
    signal = usage_drop(view, P.usage_drop)
    assert signal is not None and signal.value == pytest.approx(0.55)
    assert "all customers" not in signal.detail


def test_a_growing_population_never_makes_a_customer_look_worse():
    view = day_close(state_of(_fading(0.6)), EVAL_DAY, population=_population(200, 1.5))
    assert usage_drop(view, P.usage_drop) is None  # down 40% as measured, no more


def test_everybody_silent_explains_any_drop():
    view = day_close(state_of(_fading(0.0)), EVAL_DAY, population=_population(200, 0.0))
    assert usage_drop(view, P.usage_drop) is None


# --- zero_activity against the population ------------------------------------------------------


def _silent_week() -> Life:
    return Life("C000001").usage(0, 27, minutes=10, mb=100)  # then idle 28..34


def _active_population(active: int, recent_share: float) -> Population:
    """`active` customers active a day over story days 0..27, then `recent_share` of them."""
    population = _population(active, recent_share)
    for day in range(28, 35):
        population.days[BASE_DAY + day][-1] = int(active * recent_share)
    return population


def test_a_silence_the_whole_population_shares_is_nobodys_own():
    # A CDR feed outage over the last week: everybody is quiet, whatever their habit.
    view = day_close(state_of(_silent_week()), EVAL_DAY, population=_active_population(200, 0.1))
    assert zero_activity(view, P.zero_activity) is None


def test_a_silence_of_ones_own_in_a_busy_population_fires():
    view = day_close(state_of(_silent_week()), EVAL_DAY, population=_active_population(200, 0.9))
    signal = zero_activity(view, P.zero_activity)
    assert signal is not None and signal.value == 7


def test_a_small_population_is_not_trusted_to_explain_a_silence():
    view = day_close(state_of(_silent_week()), EVAL_DAY, population=_active_population(20, 0.1))
    signal = zero_activity(view, P.zero_activity)  # 20 active a day: fewer than 50
    assert signal is not None and signal.value == 7


# --- call_forwarding --------------------------------------------------------------------------


def _forwarding(calls: int, forwarded: int) -> Life:
    """Steady, and in the last week `calls` incoming calls of which `forwarded` forwarded."""
    story = Life("C000001").steady(0, 34)
    for i in range(calls):
        story.incoming(28 + i % 7, hour=9 + i // 7, forwarded=i < forwarded)
    return story  # type: ignore[return-value]


def test_call_forwarding_fires_when_most_incoming_calls_are_forwarded():
    signal = call_forwarding(day_close(state_of(_forwarding(10, 7)), EVAL_DAY), P.call_forwarding)
    assert signal is not None
    assert (signal.id, signal.value) == ("call_forwarding", 0.7)
    assert signal.strength == pytest.approx(0.75)  # 0.5 at half, 1.0 at 90%
    assert signal.detail == (
        "70% of incoming calls forwarded elsewhere in the last 7 days (7 of 10)"
    )


def test_call_forwarding_quiet_when_fewer_than_half_are_forwarded():
    view = day_close(state_of(_forwarding(10, 4)), EVAL_DAY)
    assert call_forwarding(view, P.call_forwarding) is None


def test_call_forwarding_quiet_on_two_forwarded_calls_however_few_came_in():
    view = day_close(state_of(_forwarding(3, 2)), EVAL_DAY)  # 67%, but two calls are no pattern
    assert call_forwarding(view, P.call_forwarding) is None


def test_call_forwarding_counts_only_the_last_week():
    story = _forwarding(0, 0)
    for day in range(18, 25):  # forwarded, but more than 7 days back
        story.incoming(day, forwarded=True)
    assert call_forwarding(day_close(state_of(story), EVAL_DAY), P.call_forwarding) is None


# --- network_quality --------------------------------------------------------------------------


def _dropping(calls: int, dropped: int) -> Life:
    """Data every day, and in the last week `calls` outgoing calls, `dropped` of them cut."""
    story = Life("C000001")
    for day in range(35):
        story.data(day)
    for i in range(calls):
        story.outgoing(28 + i % 7, hour=8 + i // 7, dropped=i < dropped)
    return story


def test_network_quality_fires_on_a_high_dropped_call_rate():
    signal = network_quality(day_close(state_of(_dropping(20, 3)), EVAL_DAY), P.network_quality)
    assert signal is not None
    assert (signal.id, signal.value) == ("network_quality", 0.15)
    assert signal.strength == pytest.approx(0.5 + 0.5 * 0.10 / 0.15)  # 5% -> 0.5, 20% -> 1.0
    assert signal.detail == "15% of calls dropped in the last 7 days (3 of 20)"


def test_network_quality_quiet_on_two_drops_even_at_a_high_rate():
    view = day_close(state_of(_dropping(10, 2)), EVAL_DAY)  # 20%, but only two drops
    assert network_quality(view, P.network_quality) is None


def test_network_quality_quiet_below_five_percent():
    view = day_close(state_of(_dropping(70, 3)), EVAL_DAY)  # 4.3%
    assert network_quality(view, P.network_quality) is None


def test_network_quality_fires_on_a_network_complaint():
    story = Story("C000001").steady(0, 34).crm(30, "complaint", category="network")
    signal = network_quality(day_close(state_of(story), EVAL_DAY), P.network_quality)
    assert signal is not None
    assert (signal.strength, signal.value) == (0.5, 0.0)
    assert signal.detail == "complained about the network on 2026-02-04"


def test_a_billing_complaint_says_nothing_about_the_network():
    story = Story("C000001").steady(0, 34).crm(30, "complaint", category="billing")
    assert network_quality(day_close(state_of(story), EVAL_DAY), P.network_quality) is None


# --- spend_below_plan -------------------------------------------------------------------------


def _paying(fee: float, charge_per_day: float, first: int = 0) -> Life:
    story = Life("C000001").crm(first, "profile", plan_fee=fee)
    return story.paid_usage(first, 34, charge_per_day)


def test_spend_below_plan_fires_when_usage_is_worth_a_sixth_of_the_fee():
    # 35 days of history (at least 30 needed): worth 17.50 against 90 x 35/30 = 105.00.
    signal = spend_below_plan(day_close(state_of(_paying(90, 0.5)), EVAL_DAY), P.spend_below_plan)
    assert signal is not None
    assert (signal.id, signal.value) == ("spend_below_plan", 0.167)
    assert signal.strength == pytest.approx(0.5 + 0.5 * (0.3 - 17.5 / 105) / 0.25)
    assert signal.detail == "usage worth 17.50 in the last 35 days, 17% of the 105.00 package fee"


def test_spend_below_plan_quiet_at_a_third_of_the_fee():
    view = day_close(state_of(_paying(90, 1.0)), EVAL_DAY)  # 35.00 of 105.00
    assert spend_below_plan(view, P.spend_below_plan) is None


def test_spend_below_plan_needs_a_month_of_history():
    view = day_close(state_of(_paying(90, 0.0, first=10)), EVAL_DAY)  # 25 days
    assert spend_below_plan(view, P.spend_below_plan) is None


def test_spend_below_plan_quiet_when_the_feed_carries_no_charges():
    story = Story("C000001").crm(0, "profile", plan_fee=90).steady(0, 34)  # CDRs without charge
    assert spend_below_plan(day_close(state_of(story), EVAL_DAY), P.spend_below_plan) is None


def test_spend_below_plan_looks_at_the_last_sixty_days_only():
    story = Life("C000001").crm(0, "profile", plan_fee=90).paid_usage(0, 20, 10.0)
    story.paid_usage(21, 80, 0.5)  # well used until day 20, then a sixth of the fee
    signal = spend_below_plan(day_close(state_of(story), 81), P.spend_below_plan)
    assert signal is not None
    assert signal.detail == "usage worth 30.00 in the last 60 days, 17% of the 180.00 package fee"


# --- the catalogue on usage stories -------------------------------------------------------------


def test_a_steady_customer_fires_no_signal_at_all():
    view = day_close(state_of(Story("C000001").steady(0, 60)), 61)
    assert all_signals(view, P) == []


def test_a_week_ending_in_four_idle_days_is_not_signal_free():
    story = Life("C000001").usage(0, 30, minutes=10, mb=100)  # idle 31..34: down 57%
    view = day_close(state_of(story), EVAL_DAY)
    assert [s.id for s in all_signals(view, P)] != []


def test_roaming_usage_counts_as_usage():
    story = Life("C000001").usage(0, 27, minutes=10, mb=300).roaming(28, 34)
    view = day_close(state_of(story), EVAL_DAY)
    assert view.idle_streak() == 0
    assert all_signals(view, P) == []
