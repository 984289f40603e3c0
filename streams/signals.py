"""The churn-signal catalogue of the retention playbook: one small pure function per signal id,
in the order alerts and tests list them.

A signal returns `None` when it does not fire, else its strength in [0, 1], the observed value
and one human sentence. Thresholds come from policy, never from here. The functions live with
the data they read: `usage_signals` (CDR day buckets), `crm_signals` (contract, complaints,
inquiries, plan changes), `billing_signals` (invoices, payments, top-ups) and `social` (the
contact graph).
"""

from __future__ import annotations

from collections.abc import Callable

from config.policy import SIGNAL_IDS as policy_signal_ids
from config.policy import SignalPolicy
from streams.billing_signals import bill_shock, payment_issue
from streams.crm_signals import (
    cancel_inquiry,
    complaint,
    contract_expiring,
    plan_downgrade,
    port_out_request,
)
from streams.features import FEATURE_CATALOGUE, is_enabled
from streams.signal_base import Signal, ramp
from streams.social import social_churn
from streams.usage_signals import (
    call_forwarding,
    competitor_contact,
    network_quality,
    spend_below_plan,
    usage_drop,
    zero_activity,
)
from streams.view import CustomerView

__all__ = [
    "CATALOGUE",
    "SIGNAL_IDS",
    "Signal",
    "all_signals",
    "bill_shock",
    "call_forwarding",
    "cancel_inquiry",
    "competitor_contact",
    "complaint",
    "contract_expiring",
    "network_quality",
    "payment_issue",
    "plan_downgrade",
    "port_out_request",
    "ramp",
    "social_churn",
    "spend_below_plan",
    "usage_drop",
    "zero_activity",
]

SignalFn = Callable[[CustomerView, SignalPolicy], Signal | None]

CATALOGUE: tuple[tuple[str, SignalFn], ...] = (
    ("usage_drop", lambda v, p: usage_drop(v, p.usage_drop)),
    ("zero_activity", lambda v, p: zero_activity(v, p.zero_activity)),
    ("competitor_contact", lambda v, p: competitor_contact(v, p.competitor_contact)),
    ("call_forwarding", lambda v, p: call_forwarding(v, p.call_forwarding)),
    ("contract_expiring", lambda v, p: contract_expiring(v, p.contract_expiring)),
    ("complaint", lambda v, p: complaint(v, p.complaint)),
    ("cancel_inquiry", lambda v, p: cancel_inquiry(v, p.cancel_inquiry)),
    ("port_out_request", lambda v, p: port_out_request(v, p.port_out_request)),
    ("spend_below_plan", lambda v, p: spend_below_plan(v, p.spend_below_plan)),
    ("bill_shock", lambda v, p: bill_shock(v, p.bill_shock)),
    ("payment_issue", lambda v, p: payment_issue(v, p.payment_issue)),
    ("network_quality", lambda v, p: network_quality(v, p.network_quality)),
    ("plan_downgrade", lambda v, p: plan_downgrade(v, p.plan_downgrade)),
    ("social_churn", lambda v, p: social_churn(v, p.social_churn)),
    *FEATURE_CATALOGUE,  # level features, early warnings: only when enabled
)
SIGNAL_IDS = tuple(name for name, _ in CATALOGUE)
assert policy_signal_ids == SIGNAL_IDS, "config.policy.SIGNAL_IDS must list the catalogue"


def all_signals(view: CustomerView, policy: SignalPolicy) -> list[Signal]:
    """Every signal that fires for this view, in catalogue order."""
    return [s for fn in running(policy) if (s := fn(view, policy)) is not None]


_running: list[tuple[SignalPolicy, tuple[SignalFn, ...]]] = []  # the last policy asked about


def running(policy: SignalPolicy) -> tuple[SignalFn, ...]:
    """The catalogue's functions that run under `policy` (features only when enabled): worked
    out once per policy, not at every evaluation, where skipping nine disabled features one
    by one cost ~3 us."""
    if _running and _running[0][0] is policy:
        return _running[0][1]
    fns = tuple(fn for name, fn in CATALOGUE if is_enabled(name, policy))
    _running[:] = [(policy, fns)]
    return fns
