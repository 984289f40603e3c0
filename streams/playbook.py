"""From an alert to a care task: the first playbook rule that matches, shaped by the contact
policy (one open task per action, account managers for the top tiers, holdout group)."""

from __future__ import annotations

from collections.abc import Iterator
from hashlib import sha256

from config.policy import ContactPolicy, PlaybookRule, Policy
from streams.levels import rank
from streams.locale import rule_texts
from topics.records import Alert, CareTask, Offer

# SLAs tighten with level and tier: the more at stake, the sooner someone calls.
_LEVEL_SLA = {"medium": 1.0, "high": 0.75, "critical": 0.5}
_TIER_SLA = {"platinum": 0.5, "gold": 0.75, "silver": 1.0, "standard": 1.0}


def matching_rules(alert: Alert, rules: tuple[PlaybookRule, ...]) -> Iterator[PlaybookRule]:
    """The rules that apply to this alert, in playbook order."""
    fired = {r.signal for r in alert.reasons if r.contribution > 0}
    for rule in rules:
        if rule.signals and not fired.intersection(rule.signals):
            continue
        if rank(alert.level) < rank(rule.min_level):
            continue
        if rule.stages and alert.stage not in rule.stages:
            continue
        if rule.tiers and alert.value_tier not in rule.tiers:
            continue
        yield rule


def matching_rule(alert: Alert, rules: tuple[PlaybookRule, ...]) -> PlaybookRule | None:
    return next(matching_rules(alert, rules), None)


def in_holdout(customer_id: str, contact: ContactPolicy) -> bool:
    """Deterministic draw: the same customer is in or out of the control group on every run."""
    digest = sha256(f"{contact.holdout_salt}|{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < contact.holdout_share


def task_for(alert: Alert, policy: Policy) -> CareTask | None:
    """The task an alert calls for, or None when no rule matches or it is a clear."""
    return next(candidate_tasks(alert, policy), None)


def candidate_tasks(alert: Alert, policy: Policy) -> Iterator[CareTask]:
    """One task per matching rule, in playbook order: the contact policy takes the first it
    allows (a declined action gives way to the next rule that fits)."""
    if alert.status == "cleared":
        return
    for rule in matching_rules(alert, policy.playbook):
        yield _task(alert, rule, policy)


def task_expires_at(alert: Alert, policy: Policy) -> int:
    """When the care task of `alert` expires, whichever rule makes it."""
    return alert.ts + int(policy.contact.task_expiry_days * 86400)


def _task(alert: Alert, rule: PlaybookRule, policy: Policy) -> CareTask:
    channel = rule.channel
    if alert.value_tier in policy.contact.account_manager_tiers:
        channel = "account_manager"
    sla_s = rule.sla_hours * 3600 * _LEVEL_SLA[alert.level] * _TIER_SLA[alert.value_tier]
    return CareTask(
        task_id="T" + sha256(f"{alert.alert_id}|{rule.action}".encode()).hexdigest()[:24],
        customer_id=alert.customer_id,
        alert_id=alert.alert_id,
        action=rule.action,
        channel=channel,
        priority=rule.priority,
        created_at=alert.ts,
        due_at=alert.ts + int(sla_s),
        expires_at=task_expires_at(alert, policy),
        stage=alert.stage,
        value_tier=alert.value_tier,
        reasons=tuple(r.signal for r in alert.reasons if r.contribution > 0),
        talking_points=talking_points(alert, rule, policy.locale),
        offer=_offer(rule, policy.locale),
        control=in_holdout(alert.customer_id, policy.contact),
    )


def talking_points(alert: Alert, rule: PlaybookRule, locale: str = "en") -> tuple[str, ...]:
    """The reasons in plain words first (already in the locale), then the rule's own points."""
    facts = [r.detail for r in alert.reasons if r.contribution > 0]
    if locale == "en":
        facts = [fact[0].upper() + fact[1:] for fact in facts]
    points, _ = rule_texts(rule, locale)
    return (*facts[:3], *points)


def _offer(rule: PlaybookRule, locale: str) -> Offer | None:
    if not rule.offer_code:
        return None
    _, description = rule_texts(rule, locale)
    return Offer(rule.offer_code, description or rule.offer_code)
