"""Steady customers give no churn signal at all."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date, timedelta

from sim.model import SimConfig
from sim.numbers import is_competitor_number
from sim.population import draw_population

CHURNY_KINDS = {
    "complaint",
    "complaint_resolved",
    "cancel_inquiry",
    "port_out_request",
    "port_out_completed",
    "deactivation",
    "plan_change",
    "overdue",
    "dispute",
}


def _steady(run):
    return [(c, run.by_customer[c]) for c in run.customers("steady")]


def test_no_competitor_numbers_and_no_churny_events(default_run):
    for _, records in _steady(default_run):
        for record in records:
            assert not is_competitor_number(str(record.value.get("counterpart", "")))
            assert record.value["kind"] not in CHURNY_KINDS


def test_no_more_than_two_idle_days_in_a_row(default_run):
    run = default_run
    last_day = run.cfg.days - 1
    for customer, records in _steady(run):
        active = {
            run.day(r)
            for r in records
            if r.topic == "telecom.cdr" and r.value.get("direction") != "in"
        }
        first = run.day(records[0])
        streak = longest = 0
        for day in range(first, last_day + 1):
            streak = 0 if day in active else streak + 1
            longest = max(longest, streak)
        assert longest <= 2, customer


def _check_contracts(run):
    horizon = timedelta(days=60)
    for customer, records in _steady(run):
        contracts = [r for r in records if r.value["kind"] == "contract"]
        if not contracts:
            continue
        for day in range(run.day(records[0]), run.cfg.days):
            today = run.cfg.start + timedelta(days=day)
            known = [r for r in contracts if r.ts.date() <= today]
            end = date.fromisoformat(known[-1].value["contract_end"])
            assert end - today > horizon, (customer, today, end)
        for before, renewal in itertools.pairwise(contracts):
            old_end = date.fromisoformat(before.value["contract_end"])
            assert old_end - renewal.ts.date() >= horizon


def test_contracts_never_near_their_end_without_early_renewal(default_run):
    _check_contracts(default_run)


def test_contract_rule_holds_on_a_long_run(make_run):
    _check_contracts(make_run(SimConfig(customers=120, days=420, seed=3)))


def test_renewals_happen_for_some_steady_postpaid_customers():
    plans = [p for p in draw_population(SimConfig(customers=400)) if p.story is None]
    assert sum(p.renewal_day is not None for p in plans) >= 10


def test_every_invoice_is_paid_in_full(default_run):
    for customer, records in _steady(default_run):
        invoices = Counter(r.value["amount"] for r in records if r.value["kind"] == "invoice")
        payments = Counter(r.value["amount"] for r in records if r.value["kind"] == "payment")
        assert invoices == payments, customer
        periods = [r.value["period"] for r in records if r.value["kind"] == "invoice"]
        assert len(periods) == len(set(periods))


def _weekly_ratio(daily, first, last_day, window):
    """Lowest ratio of a `window`-day mean to the 28-day mean before it."""
    lowest = float("inf")
    for end in range(first + 28 + window - 1, last_day + 1):
        recent = sum(daily.get(d, 0.0) for d in range(end - window + 1, end + 1)) / window
        base = sum(daily.get(d, 0.0) for d in range(end - window - 27, end - window + 1)) / 28
        if base:
            lowest = min(lowest, recent / base)
    return lowest


def test_usage_is_noisy_but_never_drops_for_long(default_run):
    run = default_run
    dips = Counter()
    steady = _steady(run)
    for _, records in steady:
        voice, data = defaultdict(float), defaultdict(float)
        for record in records:
            value = record.value
            if value["kind"] == "voice" and value["direction"] == "out":
                voice[run.day(record)] += value["duration_s"]
            elif value["kind"] == "data":
                data[run.day(record)] += value["bytes"]
        first = run.day(records[0])
        for name, daily in (("voice", voice), ("data", data)):
            assert _weekly_ratio(daily, first, run.cfg.days - 1, 14) >= 0.45
            if _weekly_ratio(daily, first, run.cfg.days - 1, 7) < 0.5:
                dips[name] += 1
    # a single week below half the baseline happens to a few (light callers: ~2% over a
    # run for voice minutes, ~0% for data); two weeks at about half never
    assert dips["voice"] <= 0.05 * len(steady) and dips["data"] <= 0.01 * len(steady)


def test_steady_invoices_are_stable(default_run):
    for _, records in _steady(default_run):
        amounts = [r.value["amount"] for r in records if r.value["kind"] == "invoice"]
        if amounts:
            assert max(amounts) < 1.2 * min(amounts)
