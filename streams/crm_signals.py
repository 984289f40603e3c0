"""Churn signals read from what the CRM told us: the contract, complaints, cancel and port-out
inquiries, plan changes.

Each is a small pure function of a customer view: `None` when it does not fire, else a
`Signal` with its strength in [0, 1], the observed value and one human sentence.
"""

from __future__ import annotations

from datetime import date

from config.policy import (
    CancelInquiryPolicy,
    ComplaintPolicy,
    ContractPolicy,
    PlanDowngradePolicy,
    PortOutPolicy,
)
from streams.calendar import DAY_S
from streams.signal_base import Signal, days, money, plural, ramp
from streams.state import Fact
from streams.view import CustomerView


def contract_expiring(view: CustomerView, p: ContractPolicy) -> Signal | None:
    """Contract ends soon (or just ended) and no renewal was seen."""
    end = view.profile.get("contract_end")
    if not end:
        return None
    end_day = view.cal.day_of_date(date.fromisoformat(end))
    days_left = end_day - view.cal.day(view.as_of)
    # Out of contract for a month: the moment of choice has passed, other signals take over.
    if days_left > p.within_days or days_left < -30:
        return None
    when = f"in {days(days_left)}" if days_left >= 0 else f"{days(-days_left)} ago"
    return Signal(
        "contract_expiring",
        ramp(p.within_days - days_left, 0, p.within_days),
        days_left,
        f"contract ends on {end} ({when}), no renewal seen",
    )


_PORT_OUT = frozenset({"port_out_request"})


def port_out_request(view: CustomerView, p: PortOutPolicy) -> Signal | None:
    """The customer asked to port the number out: the strongest signal there is."""
    requests = view.facts(_PORT_OUT, p.window_days)
    if not requests:
        return None
    return Signal(
        "port_out_request",
        1.0,
        len(requests),
        f"asked to port the number out on {view.date(requests[-1][0])}",
    )


_CANCEL = frozenset({"cancel_inquiry"})


def cancel_inquiry(view: CustomerView, p: CancelInquiryPolicy) -> Signal | None:
    """The customer asked how to cancel."""
    inquiries = view.facts(_CANCEL, p.window_days)
    if not inquiries:
        return None
    times = len(inquiries)
    again = f" ({plural(times, 'time')} in {p.window_days} days)" if times > 1 else ""
    return Signal(
        "cancel_inquiry",
        1.0,
        len(inquiries),
        f"asked how to cancel on {view.date(inquiries[-1][0])}{again}",
    )


_COMPLAINT_FACTS = frozenset({"complaint", "complaint_resolved", "dispute"})
_DEFAULT_SEVERITY = 2


def complaint(view: CustomerView, p: ComplaintPolicy) -> Signal | None:
    """An open complaint, repeated complaints, one resolved to the customer's dissatisfaction,
    or a billing dispute. Strength grows with severity points and repeats."""
    facts = view.facts(_COMPLAINT_FACTS, max(p.open_days, p.window_days))
    since = view.as_of - p.window_days * DAY_S
    complaints = [f for f in facts if f[1] == "complaint"]
    resolutions = [f for f in facts if f[1] == "complaint_resolved"]
    is_open = open_flags(complaints, resolutions)
    still_open = [f for f, open_ in zip(complaints, is_open, strict=True) if open_]
    recent = [f for f in complaints if f[0] >= since]
    unsatisfied = [f for f in resolutions if f[0] >= since and f[2].get("satisfied") is False]
    disputes = [f for f in facts if f[1] == "dispute" and f[0] >= since]
    if not (still_open or len(recent) >= p.repeat_count or unsatisfied or disputes):
        return None
    # Recent complaints and older ones still open, each once, in time order.
    counted = [f for f, open_ in zip(complaints, is_open, strict=True) if open_ or f[0] >= since]
    points = sum(_severity(f) for f in counted) + len(unsatisfied) + len(disputes)
    return Signal(
        "complaint",
        ramp(points, _DEFAULT_SEVERITY, p.full_strength_points),
        len(counted) + len(disputes),
        _complaint_detail(counted, still_open, unsatisfied, disputes),
    )


def open_flags(complaints: list[Fact], resolutions: list[Fact]) -> list[bool]:
    """Whether each complaint is still open: closed by a resolution with its `complaint_id`,
    or — without one — by the first later resolution without one. Flags by position, not a
    list of facts to match by identity: compiled (mypyc), a fact tuple read twice is two
    objects."""
    resolved_ids = {f[2]["complaint_id"] for f in resolutions if f[2].get("complaint_id")}
    anonymous = [f[0] for f in resolutions if not f[2].get("complaint_id")]
    flags = []
    for fact in complaints:
        complaint_id = fact[2].get("complaint_id")
        if complaint_id:
            flags.append(complaint_id not in resolved_ids)
            continue
        closing = next((i for i, ts in enumerate(anonymous) if ts >= fact[0]), None)
        flags.append(closing is None)
        if closing is not None:
            anonymous.pop(closing)
    return flags


def _severity(fact: Fact) -> int:
    return int(fact[2].get("severity", _DEFAULT_SEVERITY))


def _complaint_detail(
    counted: list[Fact], still_open: list[Fact], unsatisfied: list[Fact], disputes: list[Fact]
) -> str:
    parts = []
    if counted:
        categories = ", ".join(sorted({str(f[2].get("category", "other")) for f in counted}))
        notes = []
        if still_open:
            notes.append(f"{len(still_open)} still open")
        if unsatisfied:
            notes.append(f"{len(unsatisfied)} resolved unsatisfied")
        head = f"{plural(len(counted), 'complaint')} ({categories})"
        parts.append(f"{head}: {', '.join(notes)}" if notes else head)
    elif unsatisfied:
        parts.append(f"{plural(len(unsatisfied), 'complaint')} resolved unsatisfied")
    if disputes:
        parts.append(plural(len(disputes), "billing dispute"))
    return "; ".join(parts)


def plan_downgrade(view: CustomerView, p: PlanDowngradePolicy) -> Signal | None:
    """The customer moved to a cheaper plan: one foot out of the door, or right-sizing."""
    changed = view.profile.get("plan_changed_ts")
    fee, before = view.profile.get("plan_fee"), view.profile.get("previous_plan_fee")
    if changed is None or fee is None or not before or fee >= before:
        return None
    if changed < view.as_of - p.window_days * DAY_S:
        return None
    cut = (before - fee) / before
    return Signal(
        "plan_downgrade",
        ramp(cut, 0.0, p.full_strength_cut),
        round(cut, 3),
        f"plan fee lowered from {money(before)} to {money(fee)} on {view.date(changed)} "
        f"(-{cut:.0%})",
    )
