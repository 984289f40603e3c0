"""The churn signals of the retention playbook, each a small pure function of a customer view.

A signal returns `None` when it does not fire, else its strength in [0, 1], the observed value
and one human sentence. Thresholds come from policy, never from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from config.policy import SIGNAL_IDS as policy_signal_ids
from config.policy import (
    CompetitorPolicy,
    ContractPolicy,
    PortOutPolicy,
    SignalPolicy,
    UsageDropPolicy,
    ZeroActivityPolicy,
)
from streams.state import COMPETITOR, DATA_KB, SMS_OUT, VOICE_OUT_S
from streams.view import CustomerView


@dataclass(frozen=True, slots=True)
class Signal:
    id: str
    strength: float
    value: float
    detail: str


def ramp(x: float, start: float, full: float) -> float:
    """0.5 at `start`, rising linearly to 1.0 at `full`: a signal that just fires is half-strong."""
    if full <= start:
        return 1.0
    return max(0.5, min(1.0, 0.5 + 0.5 * (x - start) / (full - start)))


# (label, counter, divisor to human units, least baseline per day that makes a drop meaningful)
_USAGE_CHANNELS = (
    ("voice minutes", VOICE_OUT_S, 60.0, 1.0),
    ("SMS", SMS_OUT, 1.0, 0.3),
    ("data", DATA_KB, 1024.0, 1.0),
)


def usage_drop(view: CustomerView, p: UsageDropPolicy) -> Signal | None:
    """Last-week activity against the four weeks before it, voice, SMS and data each."""
    base_last = view.last_day - p.recent_days
    base_first = base_last - p.baseline_days + 1
    if not view.known_since(base_first):
        return None  # no usage_drop from a missing baseline
    active = sum(view.active_day(d) for d in range(base_first, base_last + 1))
    if active < p.min_baseline_active_days:
        return None
    drops = _channel_drops(view, base_first, base_last, p)
    if not drops:
        return None
    overall = sum(drops.values()) / len(drops)
    if overall < p.min_drop:
        return None
    worst = max(drops, key=lambda name: drops[name])
    others = ", ".join(f"{n} {_change(d)}" for n, d in drops.items() if n != worst)
    detail = f"{worst} {_change(drops[worst])} vs {p.baseline_days // 7}-week baseline"
    return Signal(
        "usage_drop",
        ramp(overall, p.min_drop, 1.0),
        overall,
        f"{detail} ({others})" if others else detail,
    )


def _channel_drops(
    view: CustomerView, base_first: int, base_last: int, p: UsageDropPolicy
) -> dict[str, float]:
    drops: dict[str, float] = {}
    for label, counter, unit, least in _USAGE_CHANNELS:
        base = view.total(counter, base_first, base_last) / unit / p.baseline_days
        if base < least:
            continue
        recent = view.recent_total(counter, p.recent_days) / unit / p.recent_days
        drops[label] = 1.0 - recent / base
    return drops


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _change(drop: float) -> str:
    return f"down {drop:.0%}" if drop >= 0 else f"up {-drop:.0%}"


def zero_activity(view: CustomerView, p: ZeroActivityPolicy) -> Signal | None:
    """Consecutive days without any outgoing voice, SMS or data."""
    streak = view.idle_streak()
    if streak < p.min_days:
        return None
    return Signal(
        "zero_activity",
        ramp(streak, p.min_days, p.full_strength_days),
        streak,
        f"no outgoing calls, SMS or data for {streak} days",
    )


def competitor_contact(view: CustomerView, p: CompetitorPolicy) -> Signal | None:
    """Calls or SMS to competitors' customer-service or porting numbers."""
    contacts = view.recent_total(COMPETITOR, p.window_days)
    if contacts < 1:
        return None
    plural = "s" if contacts > 1 else ""
    return Signal(
        "competitor_contact",
        ramp(contacts, 1, p.full_strength_contacts),
        contacts,
        f"{contacts} call{plural} or SMS to competitors' hotlines in the last {p.window_days} days",
    )


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
    when = f"in {_days(days_left)}" if days_left >= 0 else f"{_days(-days_left)} ago"
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


SignalFn = Callable[[CustomerView, SignalPolicy], Signal | None]

CATALOGUE: tuple[tuple[str, SignalFn], ...] = (
    ("usage_drop", lambda v, p: usage_drop(v, p.usage_drop)),
    ("zero_activity", lambda v, p: zero_activity(v, p.zero_activity)),
    ("competitor_contact", lambda v, p: competitor_contact(v, p.competitor_contact)),
    ("contract_expiring", lambda v, p: contract_expiring(v, p.contract_expiring)),
    ("port_out_request", lambda v, p: port_out_request(v, p.port_out_request)),
)
SIGNAL_IDS = tuple(name for name, _ in CATALOGUE)
assert policy_signal_ids == SIGNAL_IDS, "config.policy.SIGNAL_IDS must list the catalogue"


def all_signals(view: CustomerView, policy: SignalPolicy) -> list[Signal]:
    """Every signal that fires for this view, in catalogue order."""
    return [s for _, fn in CATALOGUE if (s := fn(view, policy)) is not None]
