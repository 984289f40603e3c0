"""The features `churnwatch fit` adds to the catalogue (streams/features.py): level features and
early warnings. Each fires on its pattern with a strength in [0, 1] and a human sentence, stays
quiet on a steady customer, and is off in the default policy until a policy enables it."""

from __future__ import annotations

import dataclasses

import pytest

from config.policy import SIGNAL_IDS, Policy, PolicyError, SignalPolicy, policy_from_dict
from streams.features import (
    FEATURE_CATALOGUE,
    FEATURE_IDS,
    care_contacts,
    feature_signals,
    high_bill,
    hotline_calls,
    international_usage,
    is_enabled,
    low_engagement,
    rising_bills,
    short_tenure,
    unusual_silence,
    usage_decline,
)
from streams.scoring import snapshot
from streams.signals import all_signals
from tests.streams.scenarios import UTC, Life, day_close, midnight, state_of

P = SignalPolicy()
ENABLED = dataclasses.replace(
    P, **{name: dataclasses.replace(getattr(P, name), enabled=True) for name in FEATURE_IDS}
)


def _steady() -> Life:
    story = Life("C000001").crm(0, "profile", plan_fee=60.0)
    story.steady(0, 59)
    return story


def test_the_features_are_catalogue_signals_switched_off_by_default():
    assert set(FEATURE_IDS) <= set(SIGNAL_IDS)
    assert [name for name, _ in FEATURE_CATALOGUE] == list(FEATURE_IDS)
    assert all(Policy().score.weights[name] == 0.0 for name in FEATURE_IDS)
    assert not any(is_enabled(name, P) for name in FEATURE_IDS)
    assert all(is_enabled(name, ENABLED) for name in FEATURE_IDS)
    assert is_enabled("usage_drop", P)  # a retention signal has no switch


def test_a_steady_customer_fires_no_feature():
    assert feature_signals(day_close(state_of(_steady()), 60), P) == []


def test_low_engagement_compares_a_months_usage_worth_with_the_fee():
    story = Life("C000001").crm(0, "profile", plan_fee=100.0).paid_usage(0, 40, 0.5)
    signal = low_engagement(day_close(state_of(story), 40), P.low_engagement)
    assert signal is not None
    assert signal.value == 0.15  # 30 days of 0.50 = 15.00 of a 100.00 fee
    assert signal.strength == pytest.approx(0.5 + 0.5 * (0.5 - 0.15) / (0.5 - 0.1))
    assert signal.detail == "used 15% of the plan's value in the last 30 days (15.00 of 100.00)"
    busy = Life("C000001").crm(0, "profile", plan_fee=100.0).paid_usage(0, 40, 2.0)
    assert low_engagement(day_close(state_of(busy), 40), P.low_engagement) is None
    unpriced = Life("C000001").crm(0, "profile", plan_fee=100.0).usage(0, 40, 5, 100)
    assert low_engagement(day_close(state_of(unpriced), 40), P.low_engagement) is None


def test_short_tenure_counts_from_the_activation_and_never_from_unknown_tenure():
    story = Life("C000001").crm(10, "activation", plan_fee=50.0).steady(10, 40)
    signal = short_tenure(day_close(state_of(story), 40), P.short_tenure)
    assert signal is not None and signal.value == 29
    assert signal.strength == 1.0  # under 30 days: full strength
    assert signal.detail == "with us for 29 days (since 2026-01-15)"
    assert short_tenure(day_close(state_of(_steady()), 40), P.short_tenure) is None


def test_hotline_calls_count_outgoing_calls_to_our_own_hotline():
    story = _steady()
    for day in (45, 50, 52, 55):
        story.outgoing(day, 3, to="10086")
    story.incoming(56, frm="10086")  # our own notice calling in does not count
    signal = hotline_calls(day_close(state_of(story), 60), P.hotline_calls)
    assert signal is not None and signal.value == 4
    assert signal.strength == pytest.approx(0.5 + 0.5 * 2 / 4)
    assert signal.detail == "4 calls to our hotline in the last 30 days"


def test_care_contacts_count_crm_care_contacts_in_the_window():
    story = _steady().crm(5, "care_contact").crm(30, "care_contact").crm(50, "care_contact")
    signal = care_contacts(day_close(state_of(story), 70), P.care_contacts)
    assert signal is not None and signal.value == 2  # the one on day 5 is older than 60 days
    assert signal.detail == "2 contacts with customer care in the last 60 days"


def test_high_bill_reads_the_average_monthly_spend():
    story = Life("C000001").crm(0, "profile", plan_fee=40.0).steady(0, 70)
    for day, amount in ((1, 300.0), (32, 300.0), (60, 300.0)):
        story.billing(day, "invoice", amount)
    signal = high_bill(day_close(state_of(story), 70), P.high_bill)
    assert signal is not None and signal.value == 300.0
    assert signal.strength == pytest.approx(0.5 + 0.5 * 150 / 250)
    assert signal.detail == "spends about 300.00 a month (3-month average)"
    assert high_bill(day_close(state_of(_steady()), 60), P.high_bill) is None


def test_rising_bills_compare_the_last_invoices_with_the_ones_before():
    story = _steady()
    for day, amount in ((1, 100.0), (15, 100.0), (32, 120.0), (50, 140.0)):
        story.billing(day, "invoice", amount)
    signal = rising_bills(day_close(state_of(story), 55), P.rising_bills)
    assert signal is not None and signal.value == 1.3
    assert signal.detail == ("the last 2 invoices average 130.00, up 30% on the 2 invoices before")
    flat = _steady()
    for day in (1, 15, 32, 50):
        flat.billing(day, "invoice", 100.0)
    assert rising_bills(day_close(state_of(flat), 55), P.rising_bills) is None


def test_international_usage_counts_days_abroad():
    story = _steady().roaming(50, 53)
    signal = international_usage(day_close(state_of(story), 60), P.international_usage)
    assert signal is not None and signal.value == 4
    assert signal.detail == "used the line abroad on 4 of the last 30 days"


def test_usage_decline_reads_two_weeks_before_usage_drop_fires():
    story = Life("C000001").crm(0, "profile", plan_fee=60.0)
    story.usage(0, 45, minutes=10, mb=100).usage(46, 59, minutes=6, mb=60)  # down 40%
    view = day_close(state_of(story), 60)
    signal = usage_decline(view, P.usage_decline, P.usage_drop)
    assert signal is not None and signal.value == pytest.approx(0.4, abs=0.01)
    assert signal.detail.startswith("over the last 14 days voice minutes down 40%")
    assert all_signals(view, P) == []  # 40% is no usage_drop yet
    assert usage_decline(day_close(state_of(_steady()), 60), P.usage_decline, P.usage_drop) is None


def test_unusual_silence_is_longer_than_any_quiet_spell_of_the_customer():
    story = Life("C000001").crm(0, "profile", plan_fee=60.0).steady(0, 56)  # silent from 57
    signal = unusual_silence(day_close(state_of(story), 60), P.unusual_silence)
    assert signal is not None and signal.value == 3
    assert signal.strength == pytest.approx(0.5 + 0.5 * 1 / 3)
    assert signal.detail == (
        "no outgoing calls, SMS or data for 3 days, longer than any quiet spell in the 28 days "
        "before (0 days at most)"
    )
    weekender = Life("C000001").crm(0, "profile", plan_fee=60.0)
    for day in range(0, 57):
        if day % 7 < 4:  # three quiet days every week
            weekender.call(day)
    quiet = day_close(state_of(weekender), 60)
    assert quiet.idle_streak() == 3
    assert unusual_silence(quiet, P.unusual_silence) is None  # usual for this customer


def test_features_fire_in_the_catalogue_only_when_enabled():
    story = _steady()
    for day in (45, 50, 52, 55):
        story.outgoing(day, 3, to="10086")
    view = day_close(state_of(story), 60)
    assert all_signals(view, P) == []
    assert [s.id for s in all_signals(view, ENABLED)] == ["hotline_calls"]


def test_a_snapshot_scores_like_an_evaluation_and_changes_nothing():
    story = _steady().crm(58, "port_out_request")
    state = state_of(story)
    before = state.to_bytes()
    shot = snapshot(state, midnight(60), Policy(), UTC)
    assert shot.churned_ts is None and shot.scored is not None
    assert [s.id for s in shot.signals] == ["port_out_request"]
    assert shot.score == pytest.approx(1 / (1 + 2.718281828459045 ** -(7.0 - 3.0)))
    assert state.to_bytes() == before  # no level, score or reasons written
    gone = snapshot(state_of(story.crm(59, "port_out_completed")), midnight(60), Policy(), UTC)
    assert gone.churned_ts is not None and gone.scored is None


def test_feature_thresholds_are_policy_and_validated():
    policy = policy_from_dict({"signals": {"hotline_calls": {"enabled": True, "min_calls": 3}}})
    assert policy.signals.hotline_calls.enabled and policy.signals.hotline_calls.min_calls == 3
    with pytest.raises(PolicyError, match=r"signals\.hotline_calls"):
        policy_from_dict({"signals": {"hotline_calls": {"min_calls": 9}}})  # above full strength
    with pytest.raises(PolicyError, match=r"signals\.short_tenure\.enabled"):
        policy_from_dict({"signals": {"short_tenure": {"enabled": "yes"}}})
