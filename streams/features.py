"""The features `churnwatch fit` adds to the signal catalogue: level features and early
warnings.

**Level features** — who the customer is, not how they changed. Churn is not only change:
public telecom churn data keeps finding the same standing predictors — low engagement against
the plan, short tenure, repeated calls to the operator's own hotline, many care contacts, high
or rising bills, international usage.

**Early warnings** — the window figures behind the retention signals, read before those signals'
thresholds: usage declining over two weeks before it is a drop, a silence longer than any the
customer usually has (which `zero_activity` now also weighs by default; kept here as a
feature `fit` can weigh on its own).

Each is computed from a `CustomerView` as a signal like any other (strength in [0, 1], observed
value, one human sentence), so that `fit` can weigh it and an alert can explain it. They are
**off by default** (`signals.<id>.enabled` is false and their default weight is 0): the default
policy behaves exactly as if they did not exist, and only a policy that weighs them (one written
by `fit`) turns them on. `FEATURES` computes them whatever the switch says (what `fit` learns
from); `FEATURE_CATALOGUE` is what the signal catalogue runs: a feature fires there only when
its policy section is enabled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import lru_cache

from config.policy import (
    CareContactsPolicy,
    HighBillPolicy,
    HotlineCallsPolicy,
    InternationalUsagePolicy,
    LowEngagementPolicy,
    RisingBillsPolicy,
    ShortTenurePolicy,
    SignalPolicy,
    UnusualSilencePolicy,
    UsageDeclinePolicy,
    UsageDropPolicy,
)
from streams.lifecycle import monthly_spend, tenure_days
from streams.signal_base import Signal, days, money, plural, ramp
from streams.state import HOTLINE, ROAMING
from streams.usage_signals import plan_value_used, usage_drop
from streams.view import CustomerView

FeatureFn = Callable[[CustomerView, SignalPolicy], Signal | None]

_CARE = frozenset({"care_contact"})
_INVOICES = frozenset({"invoice"})
_EVERYTHING_KEPT = 3650  # days: the state's own fact horizon is the real bound


def low_engagement(view: CustomerView, p: LowEngagementPolicy) -> Signal | None:
    """The customer uses a small part of what the plan pays for: the value of the last
    `window_days` of usage (charges on CDRs) against the package fee for those days. Wider and
    quicker than `spend_below_plan` (half the fee over a month rather than 30% over two): a
    ranking feature, not an alarm."""
    used = plan_value_used(view, p.window_days, p.min_history_days)
    if used is None or used[0] >= p.max_share:
        return None
    share, worth, paid, n_days = used
    return Signal(
        "low_engagement",
        ramp(share, p.max_share, p.full_share),
        round(share, 3),
        f"used {share:.0%} of the plan's value in the last {days(n_days)} "
        f"({money(worth)} of {money(paid)})",
    )


def short_tenure(view: CustomerView, p: ShortTenurePolicy) -> Signal | None:
    """A customer who joined recently (CRM activation) has no habit of staying yet. Unknown
    tenure — with us since before our history begins — is never short."""
    tenure = tenure_days(view)
    if tenure is None or tenure >= p.max_days:
        return None
    since = view.date(int(view.profile["activated_ts"]))
    return Signal(
        "short_tenure",
        ramp(tenure, p.max_days, p.full_strength_days),
        tenure,
        f"with us for {days(tenure)} (since {since})",
    )


def hotline_calls(view: CustomerView, p: HotlineCallsPolicy) -> Signal | None:
    """Repeated calls to our own hotline: a problem the customer keeps trying to get fixed."""
    calls = view.recent_total(HOTLINE, p.window_days)
    if calls < p.min_calls:
        return None
    return Signal(
        "hotline_calls",
        ramp(calls, p.min_calls, p.full_strength_calls),
        calls,
        f"{plural(calls, 'call')} to our hotline in the last {p.window_days} days",
    )


def care_contacts(view: CustomerView, p: CareContactsPolicy) -> Signal | None:
    """Many contacts with customer care (CRM `care_contact` events), whatever the channel."""
    contacts = len(view.facts(_CARE, p.window_days))
    if contacts < p.min_contacts:
        return None
    return Signal(
        "care_contacts",
        ramp(contacts, p.min_contacts, p.full_strength_contacts),
        contacts,
        f"{plural(contacts, 'contact')} with customer care in the last {p.window_days} days",
    )


def high_bill(view: CustomerView, p: HighBillPolicy) -> Signal | None:
    """A high monthly spend (the 3-month average the value tier uses): the customer with the
    most to save is the one a rival's offer tempts most."""
    spend = monthly_spend(view)
    if spend < p.min_spend:
        return None
    return Signal(
        "high_bill",
        ramp(spend, p.min_spend, p.full_spend),
        round(spend, 2),
        f"spends about {money(spend)} a month (3-month average)",
    )


def rising_bills(view: CustomerView, p: RisingBillsPolicy) -> Signal | None:
    """Invoices creeping up: the last `recent_invoices` against as many before them. Gentler
    than `bill_shock` (one invoice far above the usual): a trend, not a surprise."""
    invoices = view.facts(_INVOICES, _EVERYTHING_KEPT)
    n = p.recent_invoices
    if len(invoices) < 2 * n:
        return None
    recent = [f[2]["amount"] for f in invoices[-n:]]
    before = [f[2]["amount"] for f in invoices[-2 * n : -n]]
    average_before = sum(before) / n
    if average_before <= 0:
        return None
    ratio = sum(recent) / n / average_before
    if ratio < p.min_ratio:
        return None
    return Signal(
        "rising_bills",
        ramp(ratio, p.min_ratio, p.full_ratio),
        round(ratio, 2),
        f"the last {plural(n, 'invoice')} average {money(sum(recent) / n)}, up {ratio - 1:.0%} "
        f"on the {plural(n, 'invoice')} before",
    )


def international_usage(view: CustomerView, p: InternationalUsagePolicy) -> Signal | None:
    """Days the line was used abroad (roaming CDRs): travellers compare roaming prices."""
    state_days = view.state.days
    first = view.last_day - p.window_days + 1
    abroad = sum(
        1
        for d in range(first, view.last_day + 1)
        if (b := state_days.get(d)) is not None and b[ROAMING]
    )
    if abroad < p.min_days:
        return None
    return Signal(
        "international_usage",
        ramp(abroad, p.min_days, p.full_strength_days),
        abroad,
        f"used the line abroad on {abroad} of the last {p.window_days} days",
    )


def usage_decline(
    view: CustomerView, p: UsageDeclinePolicy, drop: UsageDropPolicy
) -> Signal | None:
    """The slow fade before it is a drop: the last `recent_days` (14) of outgoing voice, SMS
    and data against the `baseline_days` before them, measured as `usage_drop` measures (the
    same channels, baseline rules and holiday correction), from a smaller decline (25%)."""
    measured = usage_drop(view, _as_drop(p, drop))
    if measured is None:
        return None
    return Signal(
        "usage_decline",
        measured.strength,
        measured.value,
        f"over the last {p.recent_days} days {measured.detail}",
    )


@lru_cache(maxsize=64)
def _as_drop(p: UsageDeclinePolicy, drop: UsageDropPolicy) -> UsageDropPolicy:
    return dataclasses.replace(
        drop, recent_days=p.recent_days, baseline_days=p.baseline_days, min_drop=p.min_decline
    )


def unusual_silence(view: CustomerView, p: UnusualSilencePolicy) -> Signal | None:
    """No outgoing activity for longer than any quiet spell of the customer's own in the
    `baseline_days` before, from `min_days` (2) on (`zero_activity`'s unusual-silence rule as a
    feature of its own, for `fit`)."""
    streak = view.idle_streak()
    if streak < p.min_days:
        return None
    last_active = view.last_day - streak
    first = last_active - p.baseline_days + 1
    if not view.known_since(first):
        return None
    usual = view.longest_idle_run(first, last_active)
    if streak <= usual:
        return None
    return Signal(
        "unusual_silence",
        ramp(streak, p.min_days, p.full_strength_days),
        streak,
        f"no outgoing calls, SMS or data for {days(streak)}, longer than any quiet spell in the "
        f"{p.baseline_days} days before ({days(usual)} at most)",
    )


# Every feature, whether its policy section is enabled or not (what `fit` learns from).
FEATURES: tuple[tuple[str, FeatureFn], ...] = (
    ("low_engagement", lambda v, p: low_engagement(v, p.low_engagement)),
    ("short_tenure", lambda v, p: short_tenure(v, p.short_tenure)),
    ("hotline_calls", lambda v, p: hotline_calls(v, p.hotline_calls)),
    ("care_contacts", lambda v, p: care_contacts(v, p.care_contacts)),
    ("high_bill", lambda v, p: high_bill(v, p.high_bill)),
    ("rising_bills", lambda v, p: rising_bills(v, p.rising_bills)),
    ("international_usage", lambda v, p: international_usage(v, p.international_usage)),
    ("usage_decline", lambda v, p: usage_decline(v, p.usage_decline, p.usage_drop)),
    ("unusual_silence", lambda v, p: unusual_silence(v, p.unusual_silence)),
)
FEATURE_IDS = tuple(name for name, _ in FEATURES)
LEVEL_FEATURE_IDS = FEATURE_IDS[:7]
EARLY_WARNING_IDS = FEATURE_IDS[7:]


def is_enabled(name: str, policy: SignalPolicy) -> bool:
    """Whether signal `name` runs under `policy`: a feature when its section is enabled, any
    other signal always."""
    if name not in FEATURE_IDS:
        return True
    return bool(getattr(policy, name).enabled)


def _gated(name: str, fn: FeatureFn) -> FeatureFn:
    def gated(view: CustomerView, policy: SignalPolicy) -> Signal | None:
        return fn(view, policy) if getattr(policy, name).enabled else None

    return gated


# The features as the signal catalogue runs them: only when enabled by the policy.
FEATURE_CATALOGUE: tuple[tuple[str, FeatureFn], ...] = tuple(
    (name, _gated(name, fn)) for name, fn in FEATURES
)


def feature_signals(view: CustomerView, policy: SignalPolicy) -> list[Signal]:
    """Every feature that fires for this view, enabled or not."""
    return [s for _, fn in FEATURES if (s := fn(view, policy)) is not None]
