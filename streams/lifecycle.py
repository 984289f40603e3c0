"""Where a customer is in their life with us (stage) and what they are worth (value tier)."""

from __future__ import annotations

from config.policy import TierPolicy
from streams.calendar import DAY_S
from streams.signals import Signal
from streams.state import CHARGE_CENTS, DATA_KB, SMS_OUT, VOICE_OUT_S
from streams.view import CustomerView

_SPEND_FACTS = frozenset({"invoice", "topup"})
_DEPARTURE_FACTS = frozenset({"cancel_inquiry", "port_out_request"})
_DEPARTURE_SIGNALS = frozenset({"port_out_request", "cancel_inquiry", "zero_activity"})
_DECLINE_SIGNALS = frozenset({"usage_drop", "plan_downgrade", "spend_below_plan"})
ACQUISITION_DAYS = 90


def monthly_spend(view: CustomerView) -> float:
    """3-month average monthly spend: invoices and top-ups, else the plan fee, else charges."""
    billed = sum(f[2]["amount"] for f in view.facts(_SPEND_FACTS, 90))
    if billed:
        return billed / 3.0
    fee = view.profile.get("plan_fee")
    if fee:
        return float(fee)
    return view.recent_total(CHARGE_CENTS, 90) / 100.0 / 3.0


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
    """Last four weeks clearly above the four before (needs eight weeks of history)."""
    last = view.last_day
    if not view.known_since(last - 55):
        return False
    return _activity(view, last - 27, last) > 1.2 * max(1.0, _activity(view, last - 55, last - 28))


def stage(view: CustomerView, signals: list[Signal]) -> str:
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
