"""The CRM signals: each fires on the playbook's story with its value and sentence, and stays
quiet on the near miss just short of its threshold."""

from __future__ import annotations

import pytest

from config.policy import SignalPolicy
from streams.crm_signals import open_flags
from streams.signals import (
    cancel_inquiry,
    complaint,
    contract_expiring,
    plan_downgrade,
    port_out_request,
)
from tests.streams.scenarios import day_close, state_of
from tests.support.story import Story

P = SignalPolicy()
EVAL_DAY = 35  # day close at the start of story day 35 (2026-02-09)


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


# --- cancel_inquiry ---------------------------------------------------------------------------


def test_cancel_inquiry_fires_within_30_days():
    story = Story("C000001").steady(0, 34).crm(30, "cancel_inquiry", channel="hotline")
    signal = cancel_inquiry(day_close(state_of(story), EVAL_DAY), P.cancel_inquiry)
    assert signal is not None
    assert (signal.id, signal.value, signal.strength) == ("cancel_inquiry", 1, 1.0)
    assert signal.detail == "asked how to cancel on 2026-02-04"


def test_cancel_inquiry_counts_repeats():
    story = Story("C000001").steady(0, 34).crm(20, "cancel_inquiry").crm(30, "cancel_inquiry")
    signal = cancel_inquiry(day_close(state_of(story), EVAL_DAY), P.cancel_inquiry)
    assert signal is not None and signal.value == 2
    assert signal.detail == "asked how to cancel on 2026-02-04 (2 times in 30 days)"


def test_cancel_inquiry_quiet_31_days_later():
    story = Story("C000001").steady(0, 34).crm(4, "cancel_inquiry")  # 30.6 days before
    assert cancel_inquiry(day_close(state_of(story), EVAL_DAY), P.cancel_inquiry) is None


# --- complaint --------------------------------------------------------------------------------


def _complaining() -> Story:
    return Story("C000001").steady(0, 34)


def test_an_open_complaint_fires_with_its_severity():
    story = _complaining().crm(30, "complaint", complaint_id="K1", category="network", severity=3)
    signal = complaint(day_close(state_of(story), EVAL_DAY), P.complaint)
    assert signal is not None
    assert (signal.id, signal.value) == ("complaint", 1)
    assert signal.strength == pytest.approx(0.5 + 0.5 * 1 / 6)  # 3 points: 2 -> 0.5, 8 -> 1.0
    assert signal.detail == "1 complaint (network): 1 still open"


def test_a_complaint_resolved_to_satisfaction_is_quiet():
    story = (
        _complaining()
        .crm(20, "complaint", complaint_id="K1", category="service")
        .crm(22, "complaint_resolved", complaint_id="K1", satisfied=True)
    )
    assert complaint(day_close(state_of(story), EVAL_DAY), P.complaint) is None


def test_a_complaint_resolved_unsatisfied_fires():
    story = (
        _complaining()
        .crm(20, "complaint", complaint_id="K1", category="service", severity=2)
        .crm(25, "complaint_resolved", complaint_id="K1", satisfied=False)
    )
    signal = complaint(day_close(state_of(story), EVAL_DAY), P.complaint)
    assert signal is not None
    assert signal.strength == pytest.approx(0.5 + 0.5 * 1 / 6)  # 2 + 1 unsatisfied
    assert signal.detail == "1 complaint (service): 1 resolved unsatisfied"


def test_repeated_complaints_fire_even_when_resolved():
    story = (
        _complaining()
        .crm(10, "complaint", complaint_id="K1", category="service", severity=2)
        .crm(11, "complaint_resolved", complaint_id="K1", satisfied=True)
        .crm(25, "complaint", complaint_id="K2", category="billing", severity=2)
        .crm(26, "complaint_resolved", complaint_id="K2", satisfied=True)
    )
    signal = complaint(day_close(state_of(story), EVAL_DAY), P.complaint)
    assert signal is not None
    assert (signal.value, signal.strength) == (2, pytest.approx(0.5 + 0.5 * 2 / 6))
    assert signal.detail == "2 complaints (billing, service)"


def test_two_complaints_a_month_apart_are_not_repeats():
    story = (
        _complaining()
        .crm(3, "complaint", complaint_id="K1", category="service")  # 32 days before
        .crm(4, "complaint_resolved", complaint_id="K1", satisfied=True)
        .crm(25, "complaint", complaint_id="K2", category="service")
        .crm(26, "complaint_resolved", complaint_id="K2", satisfied=True)
    )
    assert complaint(day_close(state_of(story), EVAL_DAY), P.complaint) is None


def test_a_billing_dispute_counts_as_a_complaint():
    story = _complaining().billing(30, "dispute", 40.0, reason="charges not recognised")
    signal = complaint(day_close(state_of(story), EVAL_DAY), P.complaint)
    assert signal is not None
    assert (signal.value, signal.strength) == (1, 0.5)
    assert signal.detail == "1 billing dispute"


def test_severity_and_repeats_make_a_complaint_full_strength():
    story = _complaining()
    for day, cid in ((20, "K1"), (25, "K2"), (30, "K3")):
        story.crm(day, "complaint", complaint_id=cid, category="network", severity=3)
    story.billing(26, "dispute", 20.0)
    signal = complaint(day_close(state_of(story), EVAL_DAY), P.complaint)
    assert signal is not None
    assert (signal.value, signal.strength) == (4, 1.0)  # 9 + 1 points
    assert signal.detail == "3 complaints (network): 3 still open; 1 billing dispute"


def test_an_open_complaint_stops_counting_after_60_days():
    story = Story("C000001").steady(0, 70).crm(9, "complaint", complaint_id="K1")
    assert complaint(day_close(state_of(story), 69), P.complaint) is not None  # 59.6 days
    assert complaint(day_close(state_of(story), 70), P.complaint) is None  # 60.6 days


def test_complaints_without_ids_are_closed_by_later_resolutions_without_ids():
    story = (
        _complaining()
        .crm(20, "complaint", category="service")
        .crm(21, "complaint_resolved", satisfied=True)
    )
    assert complaint(day_close(state_of(story), EVAL_DAY), P.complaint) is None


def test_complaints_are_closed_by_resolutions_with_their_id():
    complaints = [
        (1, "complaint", {"complaint_id": "K1"}),
        (2, "complaint", {"complaint_id": "K2"}),
    ]
    resolutions = [(3, "complaint_resolved", {"complaint_id": "K2", "satisfied": True})]
    assert open_flags(complaints, resolutions) == [True, False]


def test_a_resolution_before_the_complaint_does_not_close_an_anonymous_one():
    complaints = [(5, "complaint", {})]
    resolutions = [(3, "complaint_resolved", {})]
    assert open_flags(complaints, resolutions) == [True]


# --- plan_downgrade ---------------------------------------------------------------------------


def _plan(before: float, after: float, day: int = 30) -> Story:
    story = Story("C000001").crm(0, "profile", plan_id="POST-88", plan_fee=before)
    return story.steady(0, 34).crm(day, "plan_change", plan_id="NEW", plan_fee=after)


def test_plan_downgrade_fires_on_a_lower_fee():
    signal = plan_downgrade(day_close(state_of(_plan(88, 58)), EVAL_DAY), P.plan_downgrade)
    assert signal is not None
    assert (signal.id, signal.value) == ("plan_downgrade", 0.341)
    assert signal.strength == pytest.approx(0.5 + 0.5 * (30 / 88) / 0.5)
    assert signal.detail == "plan fee lowered from 88.00 to 58.00 on 2026-02-04 (-34%)"


def test_plan_downgrade_uses_the_previous_fee_the_crm_names():
    story = _plan(88, 38).crm(31, "plan_change", plan_fee=38, previous_plan_fee=58)
    signal = plan_downgrade(day_close(state_of(story), EVAL_DAY), P.plan_downgrade)
    assert signal is not None
    assert signal.detail == "plan fee lowered from 58.00 to 38.00 on 2026-02-05 (-34%)"


def test_an_upgrade_is_no_downgrade():
    assert plan_downgrade(day_close(state_of(_plan(88, 128)), EVAL_DAY), P.plan_downgrade) is None


def test_a_downgrade_more_than_30_days_ago_is_quiet():
    view = day_close(state_of(_plan(88, 58, day=4)), EVAL_DAY)  # 30.6 days before
    assert plan_downgrade(view, P.plan_downgrade) is None


def test_each_anonymous_resolution_closes_one_complaint_before_it():
    complaints = [(1, "complaint", {}), (1, "complaint", {}), (4, "complaint", {})]
    resolutions = [(2, "complaint_resolved", {})]
    assert open_flags(complaints, resolutions) == [False, True, True]
