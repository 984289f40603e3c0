"""The billing signals: a shocking invoice, an unpaid overdue notice and a prepaid balance run
dry past the customer's usual top-up rhythm — each with its value and sentence, and the near
miss that stays quiet."""

from __future__ import annotations

import pytest

from config.policy import SignalPolicy
from streams.billing_signals import estimated_balance
from streams.signals import bill_shock, payment_issue
from tests.streams.scenarios import Life, day_close, state_of
from tests.support.story import Story

P = SignalPolicy()


# --- bill_shock -------------------------------------------------------------------------------


def _invoices(*amounts: float) -> Story:
    """Monthly invoices 28 days apart, the last on story day 28 x (n - 1)."""
    story = Story("C000001")
    for i, amount in enumerate(amounts):
        story.billing(28 * i, "invoice", amount, period=f"2026-{i + 1:02d}", plan_fee=80.0)
    return story


def test_bill_shock_fires_on_an_invoice_far_above_the_three_before():
    view = day_close(state_of(_invoices(80, 80, 80, 200)), 90)
    signal = bill_shock(view, P.bill_shock)
    assert signal is not None
    assert (signal.id, signal.value) == ("bill_shock", 2.5)
    assert signal.strength == pytest.approx(0.5 + 0.5 * 1.0 / 1.5)  # 1.5x -> 0.5, 3x -> 1.0
    assert signal.detail == (
        "invoice of 200.00 on 2026-03-30 is 2.5x the average of the 3 invoices before (80.00)"
    )


def test_bill_shock_quiet_below_one_and_a_half_times():
    assert bill_shock(day_close(state_of(_invoices(80, 80, 80, 110)), 90), P.bill_shock) is None


def test_bill_shock_needs_three_invoices_before():
    assert bill_shock(day_close(state_of(_invoices(80, 80, 200)), 62), P.bill_shock) is None


def test_bill_shock_fades_once_the_invoice_is_old():
    story = _invoices(80, 80, 80, 200)
    assert bill_shock(day_close(state_of(story), 84 + 35), P.bill_shock) is not None
    assert bill_shock(day_close(state_of(story), 84 + 36), P.bill_shock) is None


# --- payment_issue: overdue -------------------------------------------------------------------


def test_payment_issue_fires_on_an_unpaid_overdue_notice():
    story = Story("C000001").steady(0, 34).billing(30, "overdue", 88.0, days_overdue=15)
    signal = payment_issue(day_close(state_of(story), 35), P.payment_issue)
    assert signal is not None
    assert (signal.id, signal.value, signal.strength) == ("payment_issue", 15, 0.625)
    assert signal.detail == "payment overdue by 15 days (notice on 2026-02-04), not paid since"


def test_a_payment_after_the_notice_clears_it():
    story = (
        Story("C000001")
        .steady(0, 34)
        .billing(30, "overdue", 88.0, days_overdue=15)
        .billing(32, "payment", 88.0)
    )
    assert payment_issue(day_close(state_of(story), 35), P.payment_issue) is None


# --- payment_issue: prepaid balance -----------------------------------------------------------


def _prepaid(charge_per_day: float) -> Life:
    """Tops up 30.00 every 10 days (days 0, 10, 20), then stops; uses `charge_per_day`."""
    story = Life("C000001").paid_usage(0, 40, charge_per_day)
    for day in (0, 10, 20):
        story.billing(day, "topup", 30.0, balance=30.0)
    return story


def test_payment_issue_fires_when_the_balance_ran_dry_past_the_usual_top_up():
    # Last top-up on day 20 at 08:00, usually every 10 days: 16.7 days is past 1.5x the cadence.
    # Balance 30.00 less 3.00 a day over days 21..36: about -18.00.
    signal = payment_issue(day_close(state_of(_prepaid(3.0)), 37), P.payment_issue)
    assert signal is not None
    assert (signal.id, signal.value) == ("payment_issue", 16)
    assert signal.strength == pytest.approx(0.5 + 0.5 * (50 / 30 - 1.5) / 1.5)
    assert signal.detail == (
        "prepaid balance used up (about -18.00) and no top-up for 16 days, usually every 10 days"
    )


def test_no_payment_issue_before_one_and_a_half_cadences():
    view = day_close(state_of(_prepaid(3.0)), 35)  # 14.7 days since the last top-up
    assert payment_issue(view, P.payment_issue) is None


def test_no_payment_issue_while_money_is_left():
    view = day_close(state_of(_prepaid(1.0)), 37)  # 30.00 less 16.00: still 14.00
    assert payment_issue(view, P.payment_issue) is None


def test_no_payment_issue_without_a_top_up_rhythm():
    story = Life("C000001").paid_usage(0, 40, 3.0).billing(0, "topup", 30.0, balance=30.0)
    assert payment_issue(day_close(state_of(story), 37), P.payment_issue) is None


def test_estimated_balance_counts_only_whole_days_after_the_report():
    story = Life("C000001").paid_usage(0, 10, 2.0).billing(5, "topup", 20.0, balance=25.0)
    view = day_close(state_of(story), 11)
    assert estimated_balance(view) == pytest.approx(25.0 - 5 * 2.0)  # days 6..10
    assert estimated_balance(day_close(state_of(Life("C000002").paid_usage(0, 3, 1)), 4)) is None
