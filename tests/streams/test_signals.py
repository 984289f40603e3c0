"""The signal catalogue: one pure function per id of the policy, in catalogue order, each with a
strength in [0, 1], a value and a one-sentence detail. The signals themselves are tested next to
their modules (test_usage_signals, test_crm_signals, test_billing_signals, test_social)."""

from __future__ import annotations

import dataclasses

from config.policy import SIGNAL_IDS as POLICY_SIGNAL_IDS
from config.policy import SignalPolicy
from streams.apply import phone_digest
from streams.features import FEATURE_IDS
from streams.signals import CATALOGUE, SIGNAL_IDS, all_signals, ramp, running
from streams.social import CONTACT_CHURNED
from tests.streams.scenarios import Life, day_close, midnight, state_of

P = SignalPolicy()


def test_ramp_is_half_strong_at_the_threshold_and_full_at_the_end():
    assert ramp(5, 5, 10) == 0.5
    assert ramp(7.5, 5, 10) == 0.75
    assert ramp(20, 5, 10) == 1.0
    assert ramp(1, 5, 10) == 0.5  # callers decide whether it fires; strength never below 0.5


def test_ramp_runs_downwards_for_a_share_that_falls_as_the_risk_rises():
    assert ramp(0.3, 0.3, 0.05) == 0.5
    assert ramp(0.175, 0.3, 0.05) == 0.75
    assert ramp(0.0, 0.3, 0.05) == 1.0


def test_the_catalogue_is_the_policys_signal_list():
    assert SIGNAL_IDS == POLICY_SIGNAL_IDS
    assert len(CATALOGUE) == 14 + len(FEATURE_IDS)


def test_only_enabled_features_run_and_each_policy_gets_its_own_list():
    catalogue = dict(CATALOGUE)
    usage_drop, hotline = catalogue["usage_drop"], catalogue["hotline_calls"]
    with_hotline = dataclasses.replace(
        P, hotline_calls=dataclasses.replace(P.hotline_calls, enabled=True)
    )
    assert len(running(P)) == 14 and usage_drop in running(P)
    assert hotline not in running(P)
    assert hotline in running(with_hotline) and len(running(with_hotline)) == 15
    assert hotline not in running(P)  # asked again: worked out again, not the last answer


def _everything_at_once() -> Life:
    """A customer for whom every signal of the catalogue fires on story day 75."""
    friends = ("13800000101", "13800000102")
    story = Life("C000001").crm(0, "profile", plan_fee=300.0, contract_end="2026-04-01")
    story.paid_usage(0, 60, 0.5).usage(0, 60, minutes=10, mb=100)  # then silent from day 61
    for day in range(61, 75):
        story.incoming(day, forwarded=True, dropped=day % 2 == 0)
        for friend in friends:
            story.incoming(day, frm=friend, hour=16, forwarded=True)
    for i, amount in enumerate((80.0, 80.0, 80.0, 250.0)):
        story.billing(1 + 20 * i, "invoice", amount)
    story.billing(70, "overdue", 250.0, days_overdue=10)
    story.crm(65, "complaint", complaint_id="K1", category="network", severity=3)
    story.crm(70, "cancel_inquiry").crm(72, "port_out_request")
    story.crm(73, "plan_change", plan_fee=100.0)
    story.outgoing(62, 3, to="10010")  # the last outgoing call: silent from day 63
    return story


def test_a_customer_can_fire_every_signal_and_they_come_in_catalogue_order():
    state = state_of(_everything_at_once())
    for i, friend in enumerate(("13800000101", "13800000102")):
        assert phone_digest(friend) in state.contacts
        state.add_fact(midnight(66 + i), CONTACT_CHURNED, {"from": f"C00010{i + 1}"})
    signals = all_signals(day_close(state, 75), P)
    # The features fit adds are off in the default policy (tested in test_features).
    assert [s.id for s in signals] == [i for i in SIGNAL_IDS if i not in FEATURE_IDS]
    for signal in signals:
        assert 0.5 <= signal.strength <= 1.0, signal
        assert signal.detail and "\n" not in signal.detail
        assert not any(number in signal.detail for number in ("13800000101", "13800000102"))
