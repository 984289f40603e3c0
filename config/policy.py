"""Domain policy: thresholds, scorecard weights, levels, playbook — every number the retention
team may tune, with the defaults from the operator's playbook.

A policy file named by `CHURNWATCH_CONFIG` (JSON) overrides any subset of these defaults. It is
validated as a whole before anything uses it: an unknown key, a wrong type or an out-of-range
value raises `PolicyError` naming the key, so a policy is never half-applied.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson


class PolicyError(ValueError):
    """The policy is invalid; the message names the offending key path."""


def _rng(lo: float | None = None, hi: float | None = None) -> dict[str, float | None]:
    return {"min": lo, "max": hi}


@dataclass(frozen=True)
class IngestPolicy:
    """What the contract says about accepting input (defaults are contract values)."""

    allowed_lateness_hours: float = field(default=72.0, metadata=_rng(0, 24 * 30))
    dedupe_horizon_hours: float = field(default=72.0, metadata=_rng(0, 24 * 30))
    max_message_bytes: int = field(default=1024 * 1024, metadata=_rng(1024, 64 * 1024 * 1024))
    max_future_hours: float = field(default=24.0, metadata=_rng(0, 24 * 365))
    # How far behind the event-time clock evaluations run. Events reordered by less than this
    # give exactly the alerts of an in-order replay; later ones (within the allowed lateness)
    # still count in every later window but do not rewrite an alert already issued.
    evaluation_delay_minutes: float = field(default=60.0, metadata=_rng(0, 24 * 60 * 30))
    # A device with a wrong clock must not move a partition's event-time clock: an event more
    # than `clock_jump_hours` past every topic's clock on its partition moves its topic's clock
    # only once `clock_confirm_events` such events say the stream really is there (a feed
    # resuming after an outage), and then to their median. It is applied all the same.
    clock_jump_hours: float = field(default=18.0, metadata=_rng(0.25, 24 * 365))
    clock_confirm_events: int = field(default=5, metadata=_rng(2, 1000))
    # One customer's bookkeeping stays bounded whatever its traffic (a business account of
    # many lines under one id, a flood), so that its state record always fits the changelog:
    # at most this many event ids remembered for dedupe (the oldest go first: a re-delivery of
    # one of them counts again) and this many facts of one kind (the oldest go first).
    max_event_ids: int = field(default=20_000, metadata=_rng(100, 40_000))
    max_facts_per_kind: int = field(default=1_000, metadata=_rng(10, 2_000))


@dataclass(frozen=True)
class UsageDropPolicy:
    recent_days: int = field(default=7, metadata=_rng(1, 28))
    baseline_days: int = field(default=28, metadata=_rng(7, 56))
    min_drop: float = field(default=0.5, metadata=_rng(0.05, 1))
    # Light users' weeks are noisy: below this baseline activity a drop says little.
    min_baseline_active_days: int = field(default=10, metadata=_rng(1, 56))
    # A nationwide dip (a holiday week) moves everybody at once: when the partition's own
    # population is down at least `population_min_dip` over the same windows, a customer's drop
    # is measured against it. Below `population_min_active` active customers a day the
    # population is too small to tell a holiday from noise, and drops are taken as they are.
    population_min_active: int = field(default=50, metadata=_rng(1, 10_000_000))
    population_min_dip: float = field(default=0.1, metadata=_rng(0, 1))
    # A drop fires only when some channel's last week is below what the customer's own baseline
    # makes likely at this level: a light user's quiet week is luck, a heavy user's is a change.
    # Each customer is tested daily on three channels (some forty independent weeks a quarter):
    # one in a thousand keeps chance drops to a few customers in a hundred a quarter.
    significance: float = field(default=0.001, metadata=_rng(0, 1))
    # A customer who used the line abroad on this many of the recent days is travelling: less
    # use at roaming prices is the trip, not a goodbye.
    roaming_days: int = field(default=2, metadata=_rng(1, 28))
    # Below this many events expected in the recent days the volume's spread is a poor guide
    # (a week of one call is volume by chance): the count of events is judged by chance as well.
    many_events: int = field(default=20, metadata=_rng(0, 1_000_000))


@dataclass(frozen=True)
class ZeroActivityPolicy:
    min_days: int = field(default=5, metadata=_rng(1, 60))
    full_strength_days: int = field(default=10, metadata=_rng(1, 90))
    # A customer who uses the line every day and goes two whole days without a single call,
    # SMS or data session — longer than any quiet spell of their own in the four weeks before —
    # has switched the phone off or moved the SIM: silence is told from habit, not from a
    # fixed count (a customer who is often quiet for days still needs `min_days`). Waiting for
    # five days gives away three of the one or two weeks left to win back a silent leaver.
    unusual_min_days: int = field(default=2, metadata=_rng(1, 60))
    baseline_days: int = field(default=28, metadata=_rng(7, 56))  # the customer's own habit
    # A silence the whole partition shares — its active customers a day down to under
    # `population_min_share` of the baseline's: a CDR feed outage, a network failure — is
    # nobody's own, and no customer is silent for it (usage_drop is measured against the
    # population likewise). Below `population_min_active` active customers a day the population
    # is too small to tell.
    population_min_active: int = field(default=50, metadata=_rng(1, 10_000_000))
    population_min_share: float = field(default=0.5, metadata=_rng(0, 1))
    # A silence fires only when so many idle days in a row are this unlikely at the share of
    # days the customer was active in the baseline (a weekend-only user's week is no silence).
    # Tested every day, like usage_drop: one in a thousand. A daily user is still silent after
    # two days, one active four days in five after five.
    significance: float = field(default=0.001, metadata=_rng(0, 1))
    # Fewer known days than this before the silence say nothing of the customer's habit.
    min_habit_days: int = field(default=14, metadata=_rng(1, 56))


@dataclass(frozen=True)
class CompetitorPolicy:
    # A month, like a cancel inquiry's: a customer who asked a rival about porting two weeks
    # ago and has not left is still shopping (a port-out takes its time), not reassured.
    window_days: int = field(default=30, metadata=_rng(1, 60))
    full_strength_contacts: int = field(default=3, metadata=_rng(1, 100))
    numbers: tuple[str, ...] = ("10010", "10000", "10099")


@dataclass(frozen=True)
class ContractPolicy:
    within_days: int = field(default=45, metadata=_rng(1, 365))


@dataclass(frozen=True)
class PortOutPolicy:
    window_days: int = field(default=30, metadata=_rng(1, 365))


@dataclass(frozen=True)
class CallForwardingPolicy:
    window_days: int = field(default=7, metadata=_rng(1, 60))
    min_share: float = field(default=0.5, metadata=_rng(0.05, 1))  # "most incoming calls"
    full_share: float = field(default=0.9, metadata=_rng(0.05, 1))
    # A share of two calls is no pattern: a few incoming calls, a few of them forwarded, first
    # (a steady customer forwards one call in two hundred; light users get a few a week).
    min_incoming_calls: int = field(default=3, metadata=_rng(1, 1000))
    min_forwarded_calls: int = field(default=3, metadata=_rng(1, 1000))


@dataclass(frozen=True)
class ComplaintPolicy:
    window_days: int = field(default=30, metadata=_rng(1, 365))
    # An unresolved complaint stays a reason this long after it was made.
    open_days: int = field(default=60, metadata=_rng(1, 120))
    repeat_count: int = field(default=2, metadata=_rng(2, 100))
    # Severity points (each complaint its severity 1-3, each unsatisfied resolution and each
    # billing dispute one more) at which the signal is full-strength.
    full_strength_points: int = field(default=8, metadata=_rng(1, 100))


@dataclass(frozen=True)
class CancelInquiryPolicy:
    window_days: int = field(default=30, metadata=_rng(1, 365))


@dataclass(frozen=True)
class SpendBelowPlanPolicy:
    window_days: int = field(default=60, metadata=_rng(7, 90))
    # Fewer days than this of history (since the first event or the activation) say nothing.
    min_history_days: int = field(default=30, metadata=_rng(7, 90))
    max_share: float = field(default=0.3, metadata=_rng(0.01, 1))  # usage worth / package fee
    full_share: float = field(default=0.05, metadata=_rng(0, 1))


@dataclass(frozen=True)
class BillShockPolicy:
    min_ratio: float = field(default=1.5, metadata=_rng(1, 100))
    full_ratio: float = field(default=3.0, metadata=_rng(1, 100))
    history_invoices: int = field(default=3, metadata=_rng(1, 3))
    # Only a recent invoice shocks: this long after it, the customer has paid or complained.
    window_days: int = field(default=35, metadata=_rng(1, 90))


@dataclass(frozen=True)
class PaymentPolicy:
    overdue_window_days: int = field(default=30, metadata=_rng(1, 120))
    full_strength_overdue_days: int = field(default=60, metadata=_rng(1, 3650))
    # Prepaid: the balance (last reported, less the charges since) is at or below this and the
    # last top-up is older than the customer's usual gap between top-ups times the factor.
    exhausted_balance: float = field(default=1.0, metadata=_rng(0))
    cadence_factor: float = field(default=1.5, metadata=_rng(1, 10))
    min_topups: int = field(default=3, metadata=_rng(2, 50))


@dataclass(frozen=True)
class NetworkPolicy:
    window_days: int = field(default=7, metadata=_rng(1, 60))
    min_drop_rate: float = field(default=0.05, metadata=_rng(0.001, 1))
    full_drop_rate: float = field(default=0.2, metadata=_rng(0.001, 1))
    min_drops: int = field(default=3, metadata=_rng(1, 1000))
    complaint_days: int = field(default=30, metadata=_rng(1, 120))


@dataclass(frozen=True)
class PlanDowngradePolicy:
    window_days: int = field(default=30, metadata=_rng(1, 365))
    full_strength_cut: float = field(default=0.5, metadata=_rng(0.01, 1))  # share of the fee


@dataclass(frozen=True)
class SocialPolicy:
    window_days: int = field(default=30, metadata=_rng(1, 120))
    min_contacts: int = field(default=2, metadata=_rng(1, 50))
    full_strength_contacts: int = field(default=4, metadata=_rng(1, 50))
    # A contact's churn is news from another partition: it counts from this long after the
    # churn, so that every replay sees it at the same evaluations however late it arrived.
    settle_hours: float = field(default=24.0, metadata=_rng(0, 24 * 30))
    # Contacts kept per customer (by interaction count): the state stays bounded.
    top_contacts: int = field(default=10, metadata=_rng(1, 50))


# --- level features (issue #9, streams/features.py): who the customer is, not how they changed.
# Off (`enabled` false, weight 0) until a fitted policy weighs them: the default policy behaves
# as if they did not exist. `churnwatch fit` computes them whatever the switch says.


@dataclass(frozen=True)
class LowEngagementPolicy:
    enabled: bool = False
    window_days: int = field(default=30, metadata=_rng(7, 90))
    min_history_days: int = field(default=14, metadata=_rng(7, 90))
    max_share: float = field(default=0.5, metadata=_rng(0.01, 1))  # usage worth / package fee
    full_share: float = field(default=0.1, metadata=_rng(0, 1))


@dataclass(frozen=True)
class ShortTenurePolicy:
    enabled: bool = False
    max_days: int = field(default=180, metadata=_rng(1, 3650))  # tenure from the activation
    full_strength_days: int = field(default=30, metadata=_rng(0, 3650))


@dataclass(frozen=True)
class HotlineCallsPolicy:
    enabled: bool = False
    window_days: int = field(default=30, metadata=_rng(1, 60))
    min_calls: int = field(default=2, metadata=_rng(1, 1000))  # outgoing calls to our hotline
    full_strength_calls: int = field(default=6, metadata=_rng(1, 1000))


@dataclass(frozen=True)
class CareContactsPolicy:
    enabled: bool = False
    window_days: int = field(default=60, metadata=_rng(1, 120))
    min_contacts: int = field(default=2, metadata=_rng(1, 1000))  # CRM care_contact events
    full_strength_contacts: int = field(default=5, metadata=_rng(1, 1000))


@dataclass(frozen=True)
class HighBillPolicy:
    enabled: bool = False
    min_spend: float = field(default=150.0, metadata=_rng(0))  # 3-month average monthly spend
    full_spend: float = field(default=400.0, metadata=_rng(0))


@dataclass(frozen=True)
class RisingBillsPolicy:
    enabled: bool = False
    recent_invoices: int = field(default=2, metadata=_rng(1, 3))  # against as many before
    min_ratio: float = field(default=1.15, metadata=_rng(1, 100))
    full_ratio: float = field(default=1.5, metadata=_rng(1, 100))


@dataclass(frozen=True)
class InternationalUsagePolicy:
    enabled: bool = False
    window_days: int = field(default=30, metadata=_rng(1, 60))
    min_days: int = field(default=2, metadata=_rng(1, 60))  # days with roaming usage
    full_strength_days: int = field(default=10, metadata=_rng(1, 60))


# Early warnings (streams/features.py): retention signals' window figures, before their
# thresholds. Off like the level features until a fitted policy weighs them.


@dataclass(frozen=True)
class UsageDeclinePolicy:
    enabled: bool = False
    recent_days: int = field(default=14, metadata=_rng(1, 28))
    baseline_days: int = field(default=28, metadata=_rng(7, 56))
    min_decline: float = field(default=0.25, metadata=_rng(0.05, 1))


@dataclass(frozen=True)
class UnusualSilencePolicy:
    enabled: bool = False
    min_days: int = field(default=2, metadata=_rng(1, 60))
    full_strength_days: int = field(default=5, metadata=_rng(1, 90))
    baseline_days: int = field(default=28, metadata=_rng(7, 56))  # the customer's own quiet spells


@dataclass(frozen=True)
class SignalPolicy:
    usage_drop: UsageDropPolicy = field(default_factory=UsageDropPolicy)
    zero_activity: ZeroActivityPolicy = field(default_factory=ZeroActivityPolicy)
    competitor_contact: CompetitorPolicy = field(default_factory=CompetitorPolicy)
    call_forwarding: CallForwardingPolicy = field(default_factory=CallForwardingPolicy)
    contract_expiring: ContractPolicy = field(default_factory=ContractPolicy)
    complaint: ComplaintPolicy = field(default_factory=ComplaintPolicy)
    cancel_inquiry: CancelInquiryPolicy = field(default_factory=CancelInquiryPolicy)
    port_out_request: PortOutPolicy = field(default_factory=PortOutPolicy)
    spend_below_plan: SpendBelowPlanPolicy = field(default_factory=SpendBelowPlanPolicy)
    bill_shock: BillShockPolicy = field(default_factory=BillShockPolicy)
    payment_issue: PaymentPolicy = field(default_factory=PaymentPolicy)
    network_quality: NetworkPolicy = field(default_factory=NetworkPolicy)
    plan_downgrade: PlanDowngradePolicy = field(default_factory=PlanDowngradePolicy)
    social_churn: SocialPolicy = field(default_factory=SocialPolicy)
    low_engagement: LowEngagementPolicy = field(default_factory=LowEngagementPolicy)
    short_tenure: ShortTenurePolicy = field(default_factory=ShortTenurePolicy)
    hotline_calls: HotlineCallsPolicy = field(default_factory=HotlineCallsPolicy)
    care_contacts: CareContactsPolicy = field(default_factory=CareContactsPolicy)
    high_bill: HighBillPolicy = field(default_factory=HighBillPolicy)
    rising_bills: RisingBillsPolicy = field(default_factory=RisingBillsPolicy)
    international_usage: InternationalUsagePolicy = field(default_factory=InternationalUsagePolicy)
    usage_decline: UsageDeclinePolicy = field(default_factory=UsageDeclinePolicy)
    unusual_silence: UnusualSilencePolicy = field(default_factory=UnusualSilencePolicy)


def _default_weights() -> dict[str, float]:
    # Log-odds points at full strength (signals fire at strength 0.5). Against the intercept of
    # -3 (medium needs 3 points, high 3.85, critical 5.2):
    # - 6 and more: a signal that alone, just firing, reaches medium — port-out alone is
    #   critical; one competitor call, most calls forwarded, one complaint reach medium;
    #   a week of usage halved, and a silence longer than the customer's habit, too (7: with
    #   a modest switching cost, up to half a point, as well);
    # - 5: a cancel inquiry alone is high; usage worth under a quarter of the fee reaches
    #   medium;
    # - 4 and less: supporting signals, medium only when strong or together with another —
    #   three weeks to a contract end, a 12.5% dropped-call rate, four contacts gone, a bill at
    #   3x, two months overdue, a halved plan fee.
    # The early signals (a fade, a silence, a rival's hotline, a contract running out) reach
    # medium where they start, not days later: the care desk needs two weeks to win a customer
    # back, and waiting for a 60% weekly fade or five idle days left it about one (issue #9).
    return {
        # Medium at the 50% weekly drop `usage_drop` fires at (was 60%): a steady customer's
        # week seldom falls by half, a fading one's falls further every week after.
        "usage_drop": 7.0,
        # Medium at the silence's onset (two unusual days, or `min_days` for anyone); a line
        # silent for a week is critical — the SIM is in a drawer.
        "zero_activity": 7.0,
        # One call to a rival's porting or service line is an active step out: high on its
        # own, still medium behind the switching costs (at most 2 points, about 1 in practice).
        "competitor_contact": 8.0,
        "call_forwarding": 6.0,
        # Medium three weeks before the end (was two): a renewal offer needs the time to be
        # weighed against the rival's before the customer is free to go.
        "contract_expiring": 4.0,
        "complaint": 6.0,
        "cancel_inquiry": 5.0,
        "port_out_request": 7.0,
        "spend_below_plan": 5.0,
        "bill_shock": 3.0,
        "payment_issue": 3.0,
        "network_quality": 4.0,
        "plan_downgrade": 3.0,
        "social_churn": 4.0,
        # Level features (off until a fitted policy weighs them, see streams/features.py).
        "low_engagement": 0.0,
        "short_tenure": 0.0,
        "hotline_calls": 0.0,
        "care_contacts": 0.0,
        "high_bill": 0.0,
        "rising_bills": 0.0,
        "international_usage": 0.0,
        "usage_decline": 0.0,
        "unusual_silence": 0.0,
    }


def _default_subsumes() -> dict[str, tuple[str, ...]]:
    # Silence explains a usage drop; a complaint about the network explains (or is explained
    # by) the dropped calls — one story each, counted once.
    return {"zero_activity": ("usage_drop",), "complaint": ("network_quality",)}


@dataclass(frozen=True)
class ScorePolicy:
    """Logistic scorecard: score = 1 / (1 + exp(-(intercept + sum(weight * strength))))."""

    intercept: float = field(default=-3.0, metadata=_rng(-20, 20))
    weights: dict[str, float] = field(default_factory=_default_weights)
    # When a signal fires together with one it explains, the explained one's contribution
    # moves into it (the larger of the two counts, once): silence explains a usage drop.
    subsumes: dict[str, tuple[str, ...]] = field(default_factory=_default_subsumes)


@dataclass(frozen=True)
class LevelPolicy:
    medium: float = field(default=0.5, metadata=_rng(0, 1))
    high: float = field(default=0.7, metadata=_rng(0, 1))
    critical: float = field(default=0.9, metadata=_rng(0, 1))
    # Hysteresis: a level is left only when the score falls this far below its line.
    clear_margin: float = field(default=0.1, metadata=_rng(0, 1))
    # A customer is not cleared or lowered sooner than this after the last alert.
    cooldown_hours: float = field(default=72.0, metadata=_rng(0, 24 * 90))


@dataclass(frozen=True)
class PlaybookRule:
    """When the alert carries any of `signals` (empty: any) at `min_level` or above, and the
    customer's stage and tier are among those listed (empty: any), then create this task."""

    action: str
    channel: str
    priority: int = field(default=3, metadata=_rng(1, 4))
    sla_hours: float = field(default=48.0, metadata=_rng(0.1, 24 * 30))
    signals: tuple[str, ...] = ()
    min_level: str = "medium"
    stages: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    talking_points: tuple[str, ...] = ()
    offer_code: str | None = None
    offer_description: str | None = None
    # The same in Simplified Chinese, used when the policy's `locale` is "zh".
    talking_points_zh: tuple[str, ...] = ()
    offer_description_zh: str | None = None


def _default_playbook() -> tuple[PlaybookRule, ...]:
    # Ordered by urgency (priority, then SLA): the first matching rule makes the task, so a
    # customer who is leaving now is called by the retention desk whatever else is true. The
    # catch-all general call comes last.
    return (
        PlaybookRule(
            action="retention_call",
            channel="retention_desk",
            priority=1,
            sla_hours=4,
            signals=("port_out_request", "competitor_contact", "cancel_inquiry", "call_forwarding"),
            min_level="medium",
            talking_points=("Ask what the other operator offered; match it if the value allows.",),
            offer_code="special_tariff",
            offer_description="Special retention tariff",
        ),
        PlaybookRule(
            action="complaint_callback",
            channel="retention_desk",
            priority=1,
            sla_hours=24,
            signals=("complaint", "care_contacts", "hotline_calls"),
            talking_points=(
                "Apologise, confirm the complaint is owned and say when it will be fixed.",
            ),
            offer_code="goodwill_credit",
            offer_description="Goodwill credit on the next bill",
        ),
        PlaybookRule(
            action="billing_care",
            channel="outbound_call",
            priority=2,
            sla_hours=24,
            signals=("payment_issue",),
            talking_points=("Offer a payment plan or top-up reminder before the line is barred.",),
        ),
        PlaybookRule(
            action="network_care",
            channel="outbound_call",
            priority=2,
            sla_hours=48,
            signals=("network_quality",),
            talking_points=(
                "A network ticket is open for the customer's area; say what is being done.",
            ),
            offer_code="network_credit",
            offer_description="Bonus data while the network is fixed",
        ),
        PlaybookRule(
            action="bill_explanation",
            channel="outbound_call",
            priority=2,
            sla_hours=48,
            signals=("bill_shock", "rising_bills", "high_bill", "international_usage"),
            talking_points=("Walk through the bill; suggest a bundle that caps the extras.",),
        ),
        PlaybookRule(
            action="retention_call",
            channel="retention_desk",
            priority=2,
            sla_hours=48,
            signals=("social_churn",),
            talking_points=("Friends have left: present the family and group offers.",),
            offer_code="family_bundle",
            offer_description="Family and friends bundle",
        ),
        PlaybookRule(
            action="renewal_bundle",
            channel="outbound_call",
            priority=2,
            sla_hours=72,
            signals=("contract_expiring",),
            talking_points=("Offer a renewal bundle before the contract ends.",),
            offer_code="renewal_bundle",
            offer_description="Renewal bundle with extra data",
        ),
        PlaybookRule(
            action="plan_rightsizing",
            channel="outbound_call",
            priority=2,
            sla_hours=72,
            signals=("spend_below_plan", "plan_downgrade", "low_engagement"),
            talking_points=("Offer a plan that fits the usage before a cheaper rival does.",),
            offer_code="rightsized_plan",
            offer_description="A plan sized to the customer's usage",
        ),
        PlaybookRule(
            action="reactivation",
            channel="sms",
            priority=3,
            sla_hours=48,
            signals=("zero_activity", "unusual_silence"),
            talking_points=("Check the line still works; offer a reactivation bonus.",),
            offer_code="reactivation_bonus",
            offer_description="Bonus data on next top-up",
        ),
        PlaybookRule(
            action="usage_incentive",
            channel="app_push",
            priority=3,
            sla_hours=72,
            signals=("usage_drop", "short_tenure", "usage_decline"),
            talking_points=("Remind of unused allowance; offer points for usage.",),
            offer_code="points_promotion",
            offer_description="Double loyalty points this month",
        ),
        # The stage-based strategies of the retention playbook, for alerts no signal rule
        # took (or whose action was declined): what fits where the customer is in their life.
        *_stage_rules(),
        PlaybookRule(
            action="retention_call",
            channel="retention_desk",
            priority=2,
            sla_hours=24,
            talking_points=("General retention call: ask about satisfaction.",),
        ),
    )


def _stage_rules() -> tuple[PlaybookRule, ...]:
    def rule(action: str, channel: str, stage: str, point: str, offer: str, what: str,
             tiers: tuple[str, ...] = ()) -> PlaybookRule:  # fmt: skip
        return PlaybookRule(
            action=action, channel=channel, priority=3, sla_hours=72, stages=(stage,),
            tiers=tiers, talking_points=(point,), offer_code=offer, offer_description=what,
        )  # fmt: skip

    return (
        rule(
            "exclusive_gift",
            "retention_desk",
            "departure",
            "Thank them for their years with us; a gift, not a sales pitch.",
            "loyalty_gift",
            "A loyalty gift",
            ("platinum", "gold"),
        ),
        rule(
            "special_tariff",
            "retention_desk",
            "departure",
            "Offer the retention tariff before the customer decides.",
            "special_tariff",
            "Special retention tariff",
        ),
        rule(
            "plan_migration",
            "outbound_call",
            "decline",
            "Move to a plan that fits how they use the line now.",
            "plan_migration",
            "A better-fitting plan",
        ),
        rule(
            "minimum_spend_plan",
            "sms",
            "decline",
            "Offer a low minimum-spend plan to keep the number.",
            "minimum_spend",
            "Minimum-spend plan",
        ),
        rule(
            "exclusive_service",
            "account_manager",
            "maturity",
            "Offer the exclusive service line and priority care.",
            "exclusive_service",
            "Exclusive service",
            ("platinum",),
        ),
        rule(
            "tenure_reward",
            "outbound_call",
            "maturity",
            "Reward their tenure with bonus data and minutes.",
            "tenure_reward",
            "Tenure reward",
            ("gold",),
        ),
        rule(
            "loyalty_points",
            "app_push",
            "maturity",
            "Remind them of the points to redeem; double points this month.",
            "loyalty_points",
            "Double loyalty points",
            ("silver",),
        ),
        rule(
            "bundling",
            "sms",
            "maturity",
            "Offer a bundle of broadband, TV or a second line at a discount.",
            "bundle",
            "Home bundle discount",
        ),
        rule(
            "cross_sell",
            "app_push",
            "growth",
            "They use more each month: offer the next plan up with a first month free.",
            "upgrade_trial",
            "First month free on the next plan",
        ),
        rule(
            "usage_incentive",
            "app_push",
            "acquisition",
            "Welcome offer: show what the plan includes and how to use it.",
            "welcome_bonus",
            "Welcome data bonus",
        ),
    )


@dataclass(frozen=True)
class ContactPolicy:
    holdout_share: float = field(default=0.05, metadata=_rng(0, 1))
    holdout_salt: str = "churnwatch-holdout-v1"
    task_expiry_days: float = field(default=7.0, metadata=_rng(0.1, 90))
    # Platinum and gold customers always go through their account manager.
    account_manager_tiers: tuple[str, ...] = ("platinum", "gold")
    # Respect the customer: at most this many tasks in any 30 days, and an offer declined is
    # not made again for a while.
    max_tasks_per_30_days: int = field(default=3, metadata=_rng(1, 100))
    decline_suppress_days: float = field(default=30.0, metadata=_rng(0, 365))
    # How long after a task a customer who is still here counts as retained by it.
    followup_days: float = field(default=30.0, metadata=_rng(1, 365))
    # Regions reported in metrics (anything else is "other"): a closed list keeps Prometheus
    # series bounded whatever free text the CRM feed carries.
    report_regions: tuple[str, ...] = (
        "guangdong", "jiangsu", "zhejiang", "shandong", "henan", "sichuan", "hubei", "beijing",
        "shanghai", "fujian",
    )  # fmt: skip


@dataclass(frozen=True)
class TierPolicy:
    """Value tiers by 3-month average monthly spend (currency units)."""

    platinum: float = field(default=300.0, metadata=_rng(0))
    gold: float = field(default=150.0, metadata=_rng(0))
    silver: float = field(default=60.0, metadata=_rng(0))


# --- protective factors (issue #10): switching costs lower the risk --------------------------
# Each factor ramps like a signal (0.5 when it just holds, 1.0 at its full-strength point) and
# enters the scorecard with a negative weight (`protective.weights`), so its reason carries a
# negative contribution. Factors never fire on missing data: an unknown tenure, no contract
# end, no profile field say nothing.


@dataclass(frozen=True)
class TenureFactorPolicy:
    # Tenure from the CRM `activation` (else the profile's `customer_since`).
    min_years: float = field(default=2.0, metadata=_rng(0.1, 50))
    full_strength_years: float = field(default=6.0, metadata=_rng(0.1, 50))


@dataclass(frozen=True)
class ContractRunningPolicy:
    # Must stay beyond `signals.contract_expiring.within_days`: a contract is either running
    # (protective) or expiring (a warning), never both.
    min_days_left: int = field(default=90, metadata=_rng(1, 3650))
    full_strength_days_left: int = field(default=365, metadata=_rng(1, 3650))


@dataclass(frozen=True)
class BundleFactorPolicy:
    # `bundle` is the number of other services bundled with the line (broadband, TV...).
    full_strength_services: int = field(default=3, metadata=_rng(1, 50))


@dataclass(frozen=True)
class DeviceSubsidyPolicy:
    # Leaving before `device_subsidy_end` means repaying the rest of the subsidy.
    min_days_left: int = field(default=30, metadata=_rng(1, 3650))
    full_strength_days_left: int = field(default=365, metadata=_rng(1, 3650))


@dataclass(frozen=True)
class LoyaltyPointsPolicy:
    min_points: float = field(default=1000.0, metadata=_rng(0))
    full_strength_points: float = field(default=10000.0, metadata=_rng(0))


@dataclass(frozen=True)
class ResolvedSatisfiedPolicy:
    # A complaint resolution (or care contact) the customer was satisfied with, this recent,
    # and no complaint still open. Facts are kept 120 days.
    window_days: int = field(default=90, metadata=_rng(1, 120))


def _default_protective_weights() -> dict[str, float]:
    # Log-odds points at full strength, negative: a switching cost lowers the risk. Together
    # they are capped at `max_total`, so no stack of switching costs hides a customer who is
    # on the way out (a port-out request stays high). Modest on purpose until `churnwatch fit`
    # learns them: the simulator's churners leave whatever they would lose, and a business
    # customer paying for nothing (usage worth 15% of the fee: 4 points) with an account
    # manager and a year of contract left (0.9 together) must still reach medium.
    return {
        "tenure": -1.0,
        "contract_running": -0.6,
        "bundle": -0.6,
        "device_subsidy": -0.6,
        "group_plan": -0.5,
        "premium_number": -0.3,
        "loyalty_points": -0.3,
        "resolved_satisfied": -0.5,
        "account_manager": -0.3,
    }


@dataclass(frozen=True)
class ProtectivePolicy:
    weights: dict[str, float] = field(default_factory=_default_protective_weights)
    # The largest total protection (log-odds points); beyond it every factor is scaled down
    # in proportion, so the reasons still add up to the score.
    max_total: float = field(default=2.0, metadata=_rng(0, 20))
    tenure: TenureFactorPolicy = field(default_factory=TenureFactorPolicy)
    contract_running: ContractRunningPolicy = field(default_factory=ContractRunningPolicy)
    bundle: BundleFactorPolicy = field(default_factory=BundleFactorPolicy)
    device_subsidy: DeviceSubsidyPolicy = field(default_factory=DeviceSubsidyPolicy)
    loyalty_points: LoyaltyPointsPolicy = field(default_factory=LoyaltyPointsPolicy)
    resolved_satisfied: ResolvedSatisfiedPolicy = field(default_factory=ResolvedSatisfiedPolicy)


# --- churn-reason category (issue #10) ------------------------------------------------------


def _default_reason_categories() -> dict[str, str]:
    # The playbook's churn causes. Usage fading off the line is usage leaving the segment
    # (apps, another device: industry); a silent line is no longer needed (moved away, a SIM in
    # a drawer: natural). A contract running out is the moment a rival's offer wins: benefit.
    return {
        "usage_drop": "industry",
        "zero_activity": "natural",
        "competitor_contact": "benefit",
        "call_forwarding": "benefit",
        "contract_expiring": "benefit",
        "complaint": "service",
        "cancel_inquiry": "benefit",
        "port_out_request": "benefit",
        "spend_below_plan": "price",
        "bill_shock": "price",
        "payment_issue": "management",
        "network_quality": "product",
        "plan_downgrade": "price",
        "social_churn": "benefit",
        # level features (issue #9): who the customer is, when a fitted policy weighs them
        "low_engagement": "price",
        "short_tenure": "benefit",
        "hotline_calls": "service",
        "care_contacts": "service",
        "high_bill": "price",
        "rising_bills": "price",
        "international_usage": "price",
        # early warnings (issue #9): the same stories as usage_drop and zero_activity, sooner
        "usage_decline": "industry",
        "unusual_silence": "natural",
    }


@dataclass(frozen=True)
class ReasonCategoryPolicy:
    """An alert's `reason_category` is the category of its top warning reason (the highest
    positive contribution) by this table; a cleared alert keeps the category it clears."""

    by_signal: dict[str, str] = field(default_factory=_default_reason_categories)
    # For a signal the table does not name, and a clear with nothing on record to clear.
    fallback: str = "natural"


@dataclass(frozen=True)
class Policy:
    model: str = "cw-default-2026.11"
    locale: str = "en"
    ingest: IngestPolicy = field(default_factory=IngestPolicy)
    signals: SignalPolicy = field(default_factory=SignalPolicy)
    score: ScorePolicy = field(default_factory=ScorePolicy)
    levels: LevelPolicy = field(default_factory=LevelPolicy)
    tiers: TierPolicy = field(default_factory=TierPolicy)
    contact: ContactPolicy = field(default_factory=ContactPolicy)
    playbook: tuple[PlaybookRule, ...] = field(default_factory=_default_playbook)
    protective: ProtectivePolicy = field(default_factory=ProtectivePolicy)
    reason_category: ReasonCategoryPolicy = field(default_factory=ReasonCategoryPolicy)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# The signal catalogue's ids (streams.signals implements one function per id and checks it
# matches): weights and playbook rules may name only these.
SIGNAL_IDS = (
    "usage_drop", "zero_activity", "competitor_contact", "call_forwarding", "contract_expiring",
    "complaint", "cancel_inquiry", "port_out_request", "spend_below_plan", "bill_shock",
    "payment_issue", "network_quality", "plan_downgrade", "social_churn",
    # level features (streams.features)
    "low_engagement", "short_tenure", "hotline_calls", "care_contacts", "high_bill",
    "rising_bills", "international_usage",
    # early warnings (streams.features)
    "usage_decline", "unusual_silence",
)  # fmt: skip
LEVELS = ("none", "medium", "high", "critical")
LOCALES = ("en", "zh")
CHANNELS = ("account_manager", "retention_desk", "outbound_call", "sms", "app_push", "store")
# Protective factors (streams.protective implements one function per id and checks it matches):
# `protective.weights` may name only these; they are no signal ids.
PROTECTIVE_IDS = (
    "tenure", "contract_running", "bundle", "device_subsidy", "group_plan", "premium_number",
    "loyalty_points", "resolved_satisfied", "account_manager",
)  # fmt: skip
# The playbook's churn causes: an alert's `reason_category` (topics.records lists the same).
REASON_CATEGORIES = (
    "product", "price", "service", "benefit", "management", "industry", "natural",
)  # fmt: skip


def load_policy(path: str | Path | None = None) -> Policy:
    """The default policy, overridden by the JSON file at `path` when given."""
    if path is None:
        return Policy()
    try:
        overrides = orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        raise PolicyError(f"CHURNWATCH_CONFIG: cannot read {path}: {exc.strerror}") from exc
    except orjson.JSONDecodeError as exc:
        raise PolicyError(f"CHURNWATCH_CONFIG: {path} is not valid JSON: {exc}") from exc
    return policy_from_dict(overrides)


def policy_from_dict(overrides: Mapping[str, Any]) -> Policy:
    """Build a validated policy from the defaults with `overrides` merged in (deeply)."""
    merged = _merge(Policy().to_dict(), overrides, "")
    policy = _build(Policy, merged, "")
    _check_cross_field(policy)
    return policy


def _merge(base: dict[str, Any], over: Mapping[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(over, Mapping):
        raise PolicyError(f"{where or 'policy'}: expected an object")
    out = dict(base)
    for key, value in over.items():
        path = f"{where}.{key}" if where else key
        if key not in base:
            raise PolicyError(f"{path}: unknown key")
        both_maps = isinstance(base[key], dict) and isinstance(value, Mapping)
        # Weights are a free-form map: merging keeps the defaults for signals not named.
        out[key] = _merge_map(base[key], value, path) if both_maps else value
    return out


def _merge_map(base: dict[str, Any], over: Mapping[str, Any], path: str) -> dict[str, Any]:
    if path.endswith(("weights", "subsumes")):
        return {**base, **over}
    return _merge(base, over, path)


def _build(cls: type[Any], data: Mapping[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        path = f"{where}.{f.name}" if where else f.name
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise PolicyError(f"{path}: required")
            continue
        kwargs[f.name] = _coerce(hints[f.name], data[f.name], path)
        _check_range(f, kwargs[f.name], path)
    unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise PolicyError(f"{where + '.' if where else ''}{sorted(unknown)[0]}: unknown key")
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, path)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise PolicyError(f"{path}: expected an object")
        return _build(hint, value, path)  # type: ignore[arg-type]
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise PolicyError(f"{path}: expected a list")
        return tuple(_coerce(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, Mapping):
            raise PolicyError(f"{path}: expected an object")
        return {str(k): _coerce(args[1], v, f"{path}.{k}") for k, v in value.items()}
    return _scalar(hint, value, path)


def _scalar(hint: Any, value: Any, path: str) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise PolicyError(f"{path}: expected true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PolicyError(f"{path}: expected an integer")
        return value
    if hint is float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise PolicyError(f"{path}: expected a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise PolicyError(f"{path}: expected a string")
        return value
    raise PolicyError(f"{path}: unsupported type {hint!r}")  # pragma: no cover


def _check_range(f: dataclasses.Field[Any], value: Any, path: str) -> None:
    lo, hi = f.metadata.get("min"), f.metadata.get("max")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if lo is not None and value < lo:
            raise PolicyError(f"{path}: {value} is below the minimum {lo}")
        if hi is not None and value > hi:
            raise PolicyError(f"{path}: {value} is above the maximum {hi}")


# (signal section, threshold, full-strength point): a signal's strength ramps from the first
# to the second, so they must come in that order (the spend share falls as the signal rises).
_RAMPS = (
    ("zero_activity", "min_days", "full_strength_days"),
    ("zero_activity", "unusual_min_days", "min_days"),
    ("call_forwarding", "min_share", "full_share"),
    ("spend_below_plan", "full_share", "max_share"),
    ("spend_below_plan", "min_history_days", "window_days"),
    ("bill_shock", "min_ratio", "full_ratio"),
    ("network_quality", "min_drop_rate", "full_drop_rate"),
    ("social_churn", "min_contacts", "full_strength_contacts"),
    ("low_engagement", "full_share", "max_share"),
    ("low_engagement", "min_history_days", "window_days"),
    ("short_tenure", "full_strength_days", "max_days"),
    ("hotline_calls", "min_calls", "full_strength_calls"),
    ("care_contacts", "min_contacts", "full_strength_contacts"),
    ("high_bill", "min_spend", "full_spend"),
    ("rising_bills", "min_ratio", "full_ratio"),
    ("international_usage", "min_days", "full_strength_days"),
    ("unusual_silence", "min_days", "full_strength_days"),
)


def _check_ramps(signals: SignalPolicy) -> None:
    for section, low, high in _RAMPS:
        values = getattr(signals, section)
        if getattr(values, low) > getattr(values, high):
            raise PolicyError(f"signals.{section}: {low} <= {high} must hold")


def _check_cross_field(policy: Policy) -> None:
    _check_ramps(policy.signals)
    _check_protective(policy)
    lv = policy.levels
    if not lv.medium < lv.high < lv.critical:
        raise PolicyError("levels: medium < high < critical must hold")
    if policy.locale not in LOCALES:
        raise PolicyError(f"locale: {policy.locale!r} is not one of {', '.join(LOCALES)}")
    t = policy.tiers
    if not t.silver <= t.gold <= t.platinum:
        raise PolicyError("tiers: silver <= gold <= platinum must hold")
    for name in policy.score.weights:
        if name not in SIGNAL_IDS:
            raise PolicyError(
                f"score.weights.{name}: unknown signal (known: {', '.join(SIGNAL_IDS)})"
            )
    for name, subsumed in policy.score.subsumes.items():
        for signal in (name, *subsumed):
            if signal not in SIGNAL_IDS:
                raise PolicyError(f"score.subsumes.{name}: unknown signal {signal!r}")
    for i, rule in enumerate(policy.playbook):
        for signal in rule.signals:
            if signal not in SIGNAL_IDS:
                raise PolicyError(f"playbook[{i}].signals: unknown signal {signal!r}")
        if rule.channel not in CHANNELS:
            raise PolicyError(f"playbook[{i}].channel: {rule.channel!r} is not a contract channel")
        if rule.min_level not in LEVELS[1:]:
            raise PolicyError(f"playbook[{i}].min_level: {rule.min_level!r} is not a level")


# (protective factor, threshold, full-strength point): each ramps upwards.
_PROTECTIVE_RAMPS = (
    ("tenure", "min_years", "full_strength_years"),
    ("contract_running", "min_days_left", "full_strength_days_left"),
    ("device_subsidy", "min_days_left", "full_strength_days_left"),
    ("loyalty_points", "min_points", "full_strength_points"),
)


def _check_protective(policy: Policy) -> None:
    """Protective factors and the reason-category table (issue #10): known ids only, weights
    that protect (never add risk), ramps in order, categories from the closed set."""
    protective = policy.protective
    for name, weight in protective.weights.items():
        if name not in PROTECTIVE_IDS:
            raise PolicyError(
                f"protective.weights.{name}: unknown protective factor "
                f"(known: {', '.join(PROTECTIVE_IDS)})"
            )
        if weight > 0:
            raise PolicyError(
                f"protective.weights.{name}: {weight} must be <= 0 (a switching cost lowers "
                "the risk; a warning belongs in score.weights)"
            )
    for section, low, high in _PROTECTIVE_RAMPS:
        values = getattr(protective, section)
        if getattr(values, low) > getattr(values, high):
            raise PolicyError(f"protective.{section}: {low} <= {high} must hold")
    expiring = policy.signals.contract_expiring.within_days
    if protective.contract_running.min_days_left <= expiring:
        raise PolicyError(
            "protective.contract_running.min_days_left: must be above "
            f"signals.contract_expiring.within_days ({expiring}): a contract is running or "
            "expiring, never both"
        )
    table = policy.reason_category
    for signal, category in table.by_signal.items():
        if signal not in SIGNAL_IDS:
            raise PolicyError(f"reason_category.by_signal.{signal}: unknown signal")
        if category not in REASON_CATEGORIES:
            raise PolicyError(
                f"reason_category.by_signal.{signal}: {category!r} is not one of "
                f"{', '.join(REASON_CATEGORIES)}"
            )
    if table.fallback not in REASON_CATEGORIES:
        raise PolicyError(
            f"reason_category.fallback: {table.fallback!r} is not one of "
            f"{', '.join(REASON_CATEGORIES)}"
        )
