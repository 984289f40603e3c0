"""The five churn signals: each fires on the playbook's story with its value and sentence, and
stays quiet on the near miss just short of its threshold."""

from __future__ import annotations

import pytest

from config.policy import Policy, SignalPolicy
from streams.scorecard import score_signals
from streams.signals import (
    all_signals,
    competitor_contact,
    contract_expiring,
    port_out_request,
    ramp,
    usage_drop,
    zero_activity,
)
from tests.streams.scenarios import Life, day_close, state_of
from tests.support.story import Story

P = SignalPolicy()
EVAL_DAY = 35  # day close at the start of story day 35: recent week 28..34, baseline 0..27


def test_ramp_is_half_strong_at_the_threshold_and_full_at_the_end():
    assert ramp(5, 5, 10) == 0.5
    assert ramp(7.5, 5, 10) == 0.75
    assert ramp(20, 5, 10) == 1.0
    assert ramp(1, 5, 10) == 0.5  # callers decide whether it fires; strength never below 0.5


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
    assert [(r.signal, r.contribution) for r in reasons] == [("zero_activity", 5.0)]


def test_usage_drop_still_fires_when_the_idle_days_are_too_few_for_silence():
    story = Life("C000001").usage(0, 27, minutes=10, mb=100).usage(28, 31, minutes=1, mb=1)
    view = day_close(state_of(story), EVAL_DAY)  # idle 32..34: three days, not silence yet
    assert [s.id for s in all_signals(view, P)] == ["usage_drop"]


# --- zero_activity ----------------------------------------------------------------------------


def test_zero_activity_fires_after_five_idle_days():
    story = Life("C000001").usage(0, 29, minutes=10, mb=100)  # idle 30..34
    signal = zero_activity(day_close(state_of(story), EVAL_DAY), P.zero_activity)
    assert signal is not None
    assert (signal.id, signal.value, signal.strength) == ("zero_activity", 5, 0.5)
    assert signal.detail == "no outgoing calls, SMS or data for 5 days"


def test_zero_activity_quiet_after_four_idle_days():
    story = Life("C000001").usage(0, 30, minutes=10, mb=100)  # idle 31..34
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
    assert signal.detail == "1 call or SMS to competitors' hotlines in the last 14 days"


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
    assert signal.detail == "3 calls or SMS to competitors' hotlines in the last 14 days"


def test_no_competitor_contact_for_our_own_hotline_and_ordinary_numbers():
    story = (
        Story("C000001")
        .steady(0, 34)
        .call(30, 3, to="10086", hour=15)
        .call(31, 3, to="+8613800138000", hour=15)
    )
    assert competitor_contact(day_close(state_of(story), EVAL_DAY), P.competitor_contact) is None


def test_no_competitor_contact_outside_the_14_day_window():
    story = Story("C000001").steady(0, 34).call(20, 3, to="10010", hour=15)  # 15 days back
    assert competitor_contact(day_close(state_of(story), EVAL_DAY), P.competitor_contact) is None


# --- contract_expiring ------------------------------------------------------------------------


def _with_contract_end(end: str) -> Story:
    return Story("C000001").crm(0, "contract", contract_end=end).steady(0, 34)


def test_contract_expiring_fires_45_days_before_the_end():
    # Story day 35 is 2026-02-09; 45 days later is 2026-03-26.
    signal = contract_expiring(
        day_close(state_of(_with_contract_end("2026-03-26")), EVAL_DAY), P.contract_expiring
    )
    assert signal is not None
    assert (signal.id, signal.value, signal.strength) == ("contract_expiring", 45, 0.5)
    assert signal.detail == "contract ends on 2026-03-26 (in 45 days), no renewal seen"


def test_contract_expiring_quiet_50_days_before_the_end():
    view = day_close(state_of(_with_contract_end("2026-03-31")), EVAL_DAY)
    assert contract_expiring(view, P.contract_expiring) is None


def test_contract_expiring_is_full_strength_once_the_contract_has_ended():
    view = day_close(state_of(_with_contract_end("2026-02-01")), EVAL_DAY)
    signal = contract_expiring(view, P.contract_expiring)
    assert signal is not None
    assert (signal.value, signal.strength) == (-8, 1.0)
    assert signal.detail == "contract ends on 2026-02-01 (8 days ago), no renewal seen"


def test_a_renewal_silences_contract_expiring():
    story = _with_contract_end("2026-03-01").crm(30, "contract", contract_end="2028-03-01")
    assert contract_expiring(day_close(state_of(story), EVAL_DAY), P.contract_expiring) is None


def test_no_contract_expiring_without_a_contract():
    view = day_close(state_of(Story("C000001").steady(0, 34)), EVAL_DAY)
    assert contract_expiring(view, P.contract_expiring) is None


# --- port_out_request -------------------------------------------------------------------------


def test_port_out_request_fires_within_30_days():
    story = Story("C000001").steady(0, 34).crm(5, "port_out_request")  # 29.6 days before
    signal = port_out_request(day_close(state_of(story), EVAL_DAY), P.port_out_request)
    assert signal is not None
    assert (signal.id, signal.value, signal.strength) == ("port_out_request", 1, 1.0)
    assert signal.detail == "asked to port the number out on 2026-01-10"


def test_port_out_request_quiet_31_days_later():
    story = Story("C000001").steady(0, 34).crm(4, "port_out_request")  # 30.6 days before
    assert port_out_request(day_close(state_of(story), EVAL_DAY), P.port_out_request) is None


def test_port_out_request_not_seen_before_it_happened():
    story = Story("C000001").steady(0, 40).crm(36, "port_out_request")
    assert port_out_request(day_close(state_of(story), EVAL_DAY), P.port_out_request) is None


def test_a_steady_customer_fires_no_signal_at_all():
    view = day_close(state_of(Story("C000001").steady(0, 60)), 61)
    assert all_signals(view, P) == []


def test_a_week_ending_in_four_idle_days_is_not_signal_free():
    story = Life("C000001").usage(0, 30, minutes=10, mb=100)  # idle 31..34: down 57%
    view = day_close(state_of(story), EVAL_DAY)
    assert [s.id for s in all_signals(view, P)] != []
