"""Churn signals read from billing: a shocking bill, money trouble (an overdue bill, a prepaid
balance run dry past the customer's usual top-up rhythm).

Each is a small pure function of a customer view: `None` when it does not fire, else a
`Signal` with its strength in [0, 1], the observed value and one human sentence.
"""

from __future__ import annotations

from itertools import pairwise
from statistics import median

from config.policy import BillShockPolicy, PaymentPolicy
from streams.calendar import DAY_S
from streams.signal_base import Signal, days, money, plural, ramp
from streams.state import CHARGE_CENTS, Fact
from streams.view import CustomerView

_EVERYTHING_KEPT = 3650  # days: the state's own fact horizon is the real bound
_INVOICES = frozenset({"invoice"})


def bill_shock(view: CustomerView, p: BillShockPolicy) -> Signal | None:
    """A recent invoice far above the average of the ones before it."""
    invoices = view.facts(_INVOICES, _EVERYTHING_KEPT)
    if len(invoices) <= p.history_invoices:
        return None
    last_ts, _, last = invoices[-1]
    if last_ts < view.as_of - p.window_days * DAY_S:
        return None
    before = [f[2]["amount"] for f in invoices[-1 - p.history_invoices : -1]]
    average = sum(before) / len(before)
    if average <= 0:
        return None
    ratio = last["amount"] / average
    if ratio < p.min_ratio:
        return None
    return Signal(
        "bill_shock",
        ramp(ratio, p.min_ratio, p.full_ratio),
        round(ratio, 2),
        f"invoice of {money(last['amount'])} on {view.date(last_ts)} is {ratio:.1f}x the "
        f"average of the {plural(len(before), 'invoice')} before ({money(average)})",
    )


def payment_issue(view: CustomerView, p: PaymentPolicy) -> Signal | None:
    """An unpaid overdue notice, or a prepaid balance exhausted past the usual top-up cadence;
    the stronger of the two when both hold."""
    found = [s for s in (_overdue(view, p), _balance_exhausted(view, p)) if s is not None]
    if not found:
        return None
    return max(found, key=lambda s: s.strength)


_OVERDUE = frozenset({"overdue"})
_PAYMENT = frozenset({"payment"})


def _overdue(view: CustomerView, p: PaymentPolicy) -> Signal | None:
    notices = view.facts(_OVERDUE, p.overdue_window_days)
    if not notices:
        return None
    notice_ts, _, notice = notices[-1]
    if any(f[0] > notice_ts for f in view.facts(_PAYMENT, p.overdue_window_days)):
        return None  # paid since the notice
    overdue_days = int(notice.get("days_overdue", 0))
    by = f" by {days(overdue_days)}" if overdue_days else ""
    return Signal(
        "payment_issue",
        ramp(overdue_days, 0, p.full_strength_overdue_days),
        overdue_days,
        f"payment overdue{by} (notice on {view.date(notice_ts)}), not paid since",
    )


_TOPUP = frozenset({"topup"})
_BILLING = frozenset({"invoice", "payment", "topup", "overdue", "dispute", "refund"})


def _balance_exhausted(view: CustomerView, p: PaymentPolicy) -> Signal | None:
    topups = view.facts(_TOPUP, _EVERYTHING_KEPT)
    if len(topups) < p.min_topups:
        return None
    cadence = median(b[0] - a[0] for a, b in pairwise(topups))
    waited = view.as_of - topups[-1][0]
    if cadence <= 0 or waited <= cadence * p.cadence_factor:
        return None
    balance = estimated_balance(view)
    if balance is None or balance > p.exhausted_balance:
        return None
    overdue = waited / cadence
    return Signal(
        "payment_issue",
        ramp(overdue, p.cadence_factor, 2 * p.cadence_factor),
        waited // DAY_S,
        f"prepaid balance used up (about {money(balance)}) and no top-up for "
        f"{days(int(waited // DAY_S))}, usually every {days(round(cadence / DAY_S))}",
    )


def estimated_balance(view: CustomerView) -> float | None:
    """The last reported prepaid balance less what usage cost since (whole days after it:
    charges later that same day are not counted, so the estimate errs on the high side)."""
    reported: Fact | None = None
    for fact in view.facts(_BILLING, _EVERYTHING_KEPT):
        if fact[2].get("balance") is not None:
            reported = fact
    if reported is None:
        return None
    first = view.cal.day(reported[0]) + 1
    spent = view.total(CHARGE_CENTS, first, view.last_day) / 100.0
    return float(reported[2]["balance"]) - spent
