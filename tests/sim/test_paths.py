"""Churn paths: ground truth is sensible and each churner's records tell its story."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

from sim.model import ALL_PATHS, DEFAULT_PATHS, EXPECTED_SIGNAL
from sim.numbers import is_competitor_number

FINAL_KINDS = ("port_out_completed", "deactivation")


def _kind_days(run, customer, kind):
    return [run.day(r) for r in run.by_customer[customer] if r.value["kind"] == kind]


def _daily(run, customer, metric):
    """Per-day totals of an outgoing-usage metric: voice minutes, SMS count or data MB."""
    totals = defaultdict(float)
    for record in run.by_customer[customer]:
        value = record.value
        if record.topic != "telecom.cdr" or value.get("direction") == "in":
            continue
        if metric == "voice" and value["kind"] == "voice":
            totals[run.day(record)] += value["duration_s"] / 60
        elif metric == "sms" and value["kind"] == "sms":
            totals[run.day(record)] += 1
        elif metric == "data" and value["kind"] == "data":
            totals[run.day(record)] += value["bytes"] / 1e6
    return totals


def _mean(totals, first, last):
    return sum(totals.get(d, 0.0) for d in range(first, last + 1)) / (last - first + 1)


@pytest.mark.parametrize(
    ("run_name", "paths"), [("default_run", DEFAULT_PATHS), ("all_paths_run", ALL_PATHS)]
)
def test_each_path_is_present_with_sensible_ground_truth(run_name, paths, request):
    run = request.getfixturevalue(run_name)
    cfg = run.cfg
    present = {t.path for t in run.truths}
    assert present == {"steady", *paths}
    half = cfg.start + timedelta(days=cfg.days // 2)
    last = cfg.start + timedelta(days=cfg.days - 1)
    for truth in run.truths:
        if truth.path == "steady":
            assert truth.churn_date is None
            assert truth.expected_signal is None and truth.signal_start is None
            continue
        assert truth.expected_signal == EXPECTED_SIGNAL[truth.path]
        assert half <= truth.churn_date <= last
        assert truth.signal_start < truth.churn_date


@pytest.mark.parametrize("run_name", ["default_run", "all_paths_run"])
def test_churners_end_with_port_out_or_deactivation_and_nothing_after(run_name, request):
    run = request.getfixturevalue(run_name)
    for truth in run.truths:
        records = run.by_customer[truth.customer_id]
        last = records[-1]
        if truth.path == "steady":
            assert last.value["kind"] not in FINAL_KINDS
            continue
        finals = [r for r in records if r.value["kind"] in FINAL_KINDS]
        assert finals == [last]
        assert last.ts.date() == truth.churn_date
        requests = _kind_days(run, truth.customer_id, "port_out_request")
        churn_day = run.day(last)
        if truth.path == "silent":
            assert last.value["kind"] == "deactivation" and not requests
        else:
            assert last.value["kind"] == "port_out_completed"
            assert len(requests) == 1
            low, high = (5, 10) if truth.path == "port_out" else (1, 3)
            assert low <= churn_day - requests[0] <= high


def test_fading_usage_falls_below_30_percent_of_baseline(default_run):
    run = default_run
    for customer in run.customers("fading_usage"):
        truth = run.truth[customer]
        churn = run.day(run.by_customer[customer][-1])
        start = (truth.signal_start - run.cfg.start).days
        assert 21 <= churn - start <= 28
        for metric in ("voice", "sms", "data"):
            totals = _daily(run, customer, metric)
            baseline = _mean(totals, start - 28, start - 1)
            assert baseline > 0
            assert _mean(totals, churn - 7, churn - 1) < 0.3 * baseline, (customer, metric)
        # still a little activity every few days: it fades, it does not go silent
        active = {d for m in ("voice", "sms", "data") for d in _daily(run, customer, m)}
        assert all(any(d - k in active for k in range(3)) for d in range(start, churn))


def test_silent_customers_stop_all_outgoing_activity_10_days_before_deactivation(default_run):
    run = default_run
    for customer in run.customers("silent"):
        truth = run.truth[customer]
        churn = run.day(run.by_customer[customer][-1])
        start = (truth.signal_start - run.cfg.start).days
        assert churn - start >= 10
        outgoing = [
            run.day(r)
            for r in run.by_customer[customer]
            if r.topic == "telecom.cdr" and r.value.get("direction") != "in"
        ]
        assert max(outgoing) == start - 1


def test_competitor_churners_contact_competitor_hotlines(default_run):
    run = default_run
    for customer in run.customers("competitor"):
        truth = run.truth[customer]
        churn = run.day(run.by_customer[customer][-1])
        contacts = [
            r
            for r in run.by_customer[customer]
            if is_competitor_number(str(r.value.get("counterpart", "")))
        ]
        days = [run.day(r) for r in contacts]
        assert len(contacts) >= 3
        assert all(r.value["direction"] == "out" for r in contacts)
        assert min(days) == (truth.signal_start - run.cfg.start).days
        assert 14 <= churn - min(days) <= 21


def test_contract_end_churners_leave_a_few_days_after_their_contract(default_run):
    run = default_run
    for customer in run.customers("contract_end"):
        records = run.by_customer[customer]
        contracts = [r.value["contract_end"] for r in records if r.value["kind"] == "contract"]
        assert len(contracts) == 1  # no renewal
        end = date.fromisoformat(contracts[0])
        assert 3 <= (run.truth[customer].churn_date - end).days <= 7
        assert run.truth[customer].signal_start == max(run.cfg.start, end - timedelta(days=45))
        assert any(r.value["kind"] == "invoice" for r in records)  # postpaid


def test_port_out_churners_inquire_then_request(default_run):
    run = default_run
    for customer in run.customers("port_out"):
        inquiries = _kind_days(run, customer, "cancel_inquiry")
        requests = _kind_days(run, customer, "port_out_request")
        assert len(inquiries) == 1 and len(requests) == 1
        assert 0 <= requests[0] - inquiries[0] <= 2
        assert run.truth[customer].signal_start == run.cfg.start + timedelta(days=inquiries[0])


def test_call_forwarding_churners_forward_most_incoming_calls(all_paths_run):
    run = all_paths_run
    for customer in run.customers("call_forwarding"):
        start = (run.truth[customer].signal_start - run.cfg.start).days
        incoming = [
            r
            for r in run.by_customer[customer]
            if r.value["kind"] == "voice" and r.value["direction"] == "in"
        ]
        late = [r.value.get("forwarded", False) for r in incoming if run.day(r) >= start]
        early = [r.value.get("forwarded", False) for r in incoming if run.day(r) < start]
        assert len(late) >= 5 and sum(late) / len(late) > 0.5
        assert sum(early) / len(early) < 0.2


def test_complaint_churners_complain_and_stay_unhappy(all_paths_run):
    run = all_paths_run
    for customer in run.customers("complaints"):
        records = run.by_customer[customer]
        complaints = [r.value for r in records if r.value["kind"] == "complaint"]
        resolved = [r.value for r in records if r.value["kind"] == "complaint_resolved"]
        assert len(complaints) >= 2
        assert {c["category"] for c in complaints} <= {"network", "billing"}
        assert all(r["satisfied"] is False for r in resolved)
        ids = {c["complaint_id"] for c in complaints}
        assert {r["complaint_id"] for r in resolved} <= ids
        first = min(run.day(r) for r in records if r.value["kind"] == "complaint")
        assert run.truth[customer].signal_start == run.cfg.start + timedelta(days=first)


def test_price_churners_use_far_less_than_they_pay_for(all_paths_run):
    run = all_paths_run
    for customer in run.customers("price"):
        records = run.by_customer[customer]
        fee = records[0].value["plan_fee"]
        assert any(r.value["kind"] == "invoice" for r in records)
        worth = sum(r.value.get("charge", 0.0) for r in records if r.topic == "telecom.cdr")
        months = run.day(records[-1]) / 30
        assert worth / months < 0.3 * fee
