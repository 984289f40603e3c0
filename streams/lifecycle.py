"""Where a customer is in their life with us (stage) and what they are worth (value tier)."""

from __future__ import annotations

from config.policy import TierPolicy
from streams.calendar import DAY_S
from streams.signal_base import Signal
from streams.state import CHARGE_CENTS, DATA_KB, SMS_OUT, VOICE_OUT_S
from streams.view import CustomerView

_INVOICES = frozenset({"invoice"})
_TOPUPS = frozenset({"topup"})
_DEPARTURE_FACTS = frozenset({"cancel_inquiry", "port_out_request"})
_DEPARTURE_SIGNALS = frozenset({"port_out_request", "cancel_inquiry", "zero_activity"})
_DECLINE_SIGNALS = frozenset({"usage_drop", "plan_downgrade", "spend_below_plan"})
ACQUISITION_DAYS = 90
SPEND_DAYS = 90  # "3-month average monthly spend"
MONTH_DAYS = 30


def monthly_spend(view: CustomerView) -> float:
    """Average monthly spend over the last three months — or over the months actually seen, for
    a customer who is newer than that: invoices (one a month) and top-ups, else the plan fee,
    else what usage was charged."""
    months = observed_months(view)
    invoices = [f[2]["amount"] for f in view.facts(_INVOICES, SPEND_DAYS)]
    topups = sum(f[2]["amount"] for f in view.facts(_TOPUPS, SPEND_DAYS))
    if invoices or topups:
        invoiced = sum(invoices) / len(invoices) if invoices else 0.0
        return invoiced + topups / months
    fee = view.profile.get("plan_fee")
    if fee:
        return float(fee)
    return view.recent_total(CHARGE_CENTS, SPEND_DAYS) / 100.0 / months


def observed_months(view: CustomerView) -> float:
    """Months of the spend window the customer was with us: 3 for a known customer, fewer for
    a newer one (never under one month, so a first top-up is not a month's worth times ten)."""
    seen = min(SPEND_DAYS, view.history_days())
    return max(1.0, seen / MONTH_DAYS)


def value_tier(spend: float, tiers: TierPolicy) -> str:
    if spend >= tiers.platinum:
        return "platinum"
    if spend >= tiers.gold:
        return "gold"
    if spend >= tiers.silver:
        return "silver"
    return "standard"


def tenure_days(view: CustomerView) -> int | None:
    activated = view.profile.get("activated_ts")
    if activated is None:
        return None
    return max(0, (view.as_of - int(activated)) // DAY_S)


def _activity(view: CustomerView, first: int, last: int) -> float:
    return (
        view.total(VOICE_OUT_S, first, last) / 60.0
        + view.total(SMS_OUT, first, last)
        + view.total(DATA_KB, first, last) / 1024.0 / 10.0
    )


def growing(view: CustomerView) -> bool:
    """Activity or spend of the last four weeks clearly above the four before (needs eight
    weeks of history)."""
    last = view.last_day
    if not view.known_since(last - 55):
        return False
    if _activity(view, last - 27, last) > 1.2 * max(1.0, _activity(view, last - 55, last - 28)):
        return True
    spent_before = view.total(CHARGE_CENTS, last - 55, last - 28)
    return view.total(CHARGE_CENTS, last - 27, last) > 1.2 * max(100, spent_before)


def stage(view: CustomerView, signals: list[Signal]) -> str:
    """departure (asked to leave, or silent) > acquisition (first 90 days) > decline (falling
    usage, downgrade) > growth (rising) > maturity. Unknown tenure — a customer who was with us
    before our history starts — counts as mature, never as newly acquired."""
    fired = {s.id for s in signals}
    if fired & _DEPARTURE_SIGNALS or view.facts(_DEPARTURE_FACTS, 30):
        return "departure"
    tenure = tenure_days(view)
    if tenure is not None and tenure < ACQUISITION_DAYS:
        return "acquisition"
    if fired & _DECLINE_SIGNALS:
        return "decline"
    if growing(view):
        return "growth"
    return "maturity"
