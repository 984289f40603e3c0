"""From an alert to a care task: the first matching rule, the channel, the SLA, the holdout
group and the contact policy."""

from __future__ import annotations

import dataclasses

import pytest

from config.policy import SIGNAL_IDS, ContactPolicy, PlaybookRule, Policy
from streams.evaluate import _contact
from streams.playbook import candidate_tasks, in_holdout, matching_rule, task_for
from streams.state import CustomerState
from topics.records import Alert, Reason

POLICY = Policy()
T0 = 1_770_000_000
HOUR = 3600

CONTACT = Policy().contact


def _alert(
    *signals: str,
    level: str = "medium",
    tier: str = "standard",
    stage: str = "maturity",
    status: str = "raised",
    customer_id: str = "C000001",
    alert_id: str = "A1",
) -> Alert:
    reasons = tuple(
        Reason(s, 3.0 - i * 0.1, 1.0, f"{s.replace('_', ' ')} seen") for i, s in enumerate(signals)
    )
    return Alert(
        alert_id=alert_id,
        customer_id=customer_id,
        status=status,
        level=level,
        previous_level="none",
        score=0.6,
        ts=T0,
        stage=stage,
        value_tier=tier,
        reasons=reasons,
        window={},
        model=POLICY.model,
    )


# --- rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signal", "action", "channel"),
    [
        ("port_out_request", "retention_call", "retention_desk"),
        ("competitor_contact", "retention_call", "retention_desk"),
        ("contract_expiring", "renewal_bundle", "outbound_call"),
        ("zero_activity", "reactivation", "sms"),
        ("usage_drop", "usage_incentive", "app_push"),
        ("cancel_inquiry", "retention_call", "retention_desk"),
        ("call_forwarding", "retention_call", "retention_desk"),
        ("complaint", "complaint_callback", "retention_desk"),
        ("payment_issue", "billing_care", "outbound_call"),
        ("network_quality", "network_care", "outbound_call"),
        ("bill_shock", "bill_explanation", "outbound_call"),
        ("social_churn", "retention_call", "retention_desk"),
        ("spend_below_plan", "plan_rightsizing", "outbound_call"),
        ("plan_downgrade", "plan_rightsizing", "outbound_call"),
    ],
)
def test_each_signal_gets_its_playbook_action(signal, action, channel):
    task = task_for(_alert(signal), POLICY)
    assert task is not None
    assert (task.action, task.channel) == (action, channel)
    assert task.reasons == (signal,)


def test_the_first_matching_rule_wins():
    # Contract ending AND competitor calls: the retention desk rule comes first.
    task = task_for(_alert("contract_expiring", "competitor_contact"), POLICY)
    assert task is not None
    assert task.action == "retention_call"
    assert task.offer is not None and task.offer.code == "special_tariff"


def test_rule_order_is_policy_not_code():
    renewal = next(r for r in POLICY.playbook if r.action == "renewal_bundle")
    rules = (renewal, POLICY.playbook[0])  # renewal before retention
    rule = matching_rule(_alert("contract_expiring", "competitor_contact"), rules)
    assert rule is not None and rule.action == "renewal_bundle"


def test_every_catalogue_signal_has_a_rule_of_its_own():
    named = {signal for rule in POLICY.playbook for signal in rule.signals}
    assert named == set(SIGNAL_IDS)


def test_rules_are_ordered_by_urgency_with_the_catch_all_last():
    *specific, catch_all = POLICY.playbook
    assert [(r.priority, r.sla_hours) for r in specific] == sorted(
        (r.priority, r.sla_hours) for r in specific
    )
    assert catch_all.signals == ()


@pytest.mark.parametrize(
    ("stage", "tier", "action"),
    [
        ("departure", "gold", "exclusive_gift"),
        ("departure", "standard", "special_tariff"),
        ("decline", "silver", "plan_migration"),
        ("maturity", "platinum", "exclusive_service"),
        ("maturity", "gold", "tenure_reward"),
        ("maturity", "silver", "loyalty_points"),
        ("maturity", "standard", "bundling"),
        ("growth", "standard", "cross_sell"),
        ("acquisition", "standard", "usage_incentive"),
    ],
)
def test_an_alert_no_signal_rule_takes_gets_its_stage_strategy(stage, tier, action):
    alert = dataclasses.replace(_alert(stage=stage, tier=tier), reasons=())
    task = task_for(alert, POLICY)
    assert task is not None and task.action == action


def test_the_general_call_takes_what_the_stage_strategies_leave():
    alert = dataclasses.replace(_alert(stage="maturity"), reasons=())
    state = CustomerState("C000001")
    state.suppressed = {"bundling": T0 + 86_400}  # declined last week
    tasks = [t for t in candidate_tasks(alert, POLICY) if _contact(state, t, T0, CONTACT)]
    assert tasks[0].action == "retention_call" and tasks[0].offer is None


def test_a_complaint_is_called_back_within_a_day_by_the_retention_desk():
    task = task_for(_alert("complaint", "usage_drop"), POLICY)
    assert task is not None
    assert (task.action, task.channel, task.priority) == (
        "complaint_callback",
        "retention_desk",
        1,
    )
    assert task.due_at - task.created_at == 24 * HOUR


@pytest.mark.parametrize(
    ("level", "stage", "tier", "matches"),
    [
        ("high", "decline", "platinum", True),
        ("critical", "decline", "platinum", True),
        ("medium", "decline", "platinum", False),
        ("high", "maturity", "platinum", False),
        ("high", "decline", "gold", False),
    ],
)
def test_rules_filter_on_level_stage_and_tier(level, stage, tier, matches):
    rule = PlaybookRule(
        action="vip_visit",
        channel="store",
        min_level="high",
        stages=("decline",),
        tiers=("platinum",),
    )
    alert = _alert("usage_drop", level=level, stage=stage, tier=tier)
    assert (matching_rule(alert, (rule,)) is rule) is matches


def test_a_reason_with_no_contribution_does_not_match_a_rule():
    alert = dataclasses.replace(
        _alert("usage_drop"), reasons=(Reason("competitor_contact", 0.0, 0, "weightless"),)
    )
    rule = matching_rule(alert, POLICY.playbook)
    assert rule is not None and rule.signals == ()  # only the catch-all


def test_a_clear_makes_no_task():
    assert task_for(_alert("usage_drop", status="cleared"), POLICY) is None


def test_no_rule_no_task():
    only = (PlaybookRule(action="renewal_bundle", channel="sms", signals=("contract_expiring",)),)
    policy = dataclasses.replace(POLICY, playbook=only)
    assert task_for(_alert("usage_drop"), policy) is None


# --- channel, SLA, content ------------------------------------------------------------------


@pytest.mark.parametrize("tier", ["platinum", "gold"])
def test_platinum_and_gold_always_go_through_their_account_manager(tier):
    for signal in ("port_out_request", "zero_activity", "usage_drop", "contract_expiring"):
        task = task_for(_alert(signal, tier=tier), POLICY)
        assert task is not None and task.channel == "account_manager", signal


@pytest.mark.parametrize("tier", ["silver", "standard"])
def test_silver_and_standard_keep_the_rules_channel(tier):
    task = task_for(_alert("zero_activity", tier=tier), POLICY)
    assert task is not None and task.channel == "sms"


def _sla_h(level: str, tier: str) -> float:
    task = task_for(_alert("usage_drop", level=level, tier=tier), POLICY)
    assert task is not None
    return (task.due_at - task.created_at) / HOUR


def test_sla_is_the_rules_for_a_standard_medium_alert():
    assert _sla_h("medium", "standard") == 72  # usage_incentive: 72 h


def test_sla_tightens_with_level():
    assert _sla_h("medium", "silver") > _sla_h("high", "silver") > _sla_h("critical", "silver")


def test_sla_tightens_with_tier():
    slas = [_sla_h("high", t) for t in ("standard", "silver", "gold", "platinum")]
    assert slas == sorted(slas, reverse=True)
    assert slas[0] > slas[2] > slas[3]


def test_a_critical_platinum_port_out_is_due_within_the_hour():
    task = task_for(_alert("port_out_request", level="critical", tier="platinum"), POLICY)
    assert task is not None
    assert task.due_at - task.created_at == 1 * HOUR  # 4 h x 0.5 x 0.5
    assert task.priority == 1


def test_task_times_content_and_offer():
    task = task_for(_alert("zero_activity", "usage_drop"), POLICY)
    assert task is not None
    assert task.created_at == T0
    assert task.expires_at == T0 + 7 * 24 * HOUR
    assert task.talking_points[:2] == ("Zero activity seen", "Usage drop seen")
    reactivation = next(r for r in POLICY.playbook if r.action == "reactivation")
    assert task.talking_points[-1] == reactivation.talking_points[0]
    assert task.offer is not None and task.offer.code == "reactivation_bonus"
    assert task.to_wire()["schema"] == 1


# --- ids and holdout --------------------------------------------------------------------------


def test_task_ids_are_deterministic_per_alert_and_action():
    first = task_for(_alert("usage_drop"), POLICY)
    again = task_for(_alert("usage_drop"), POLICY)
    other_alert = task_for(_alert("usage_drop", alert_id="A2"), POLICY)
    other_action = task_for(_alert("zero_activity"), POLICY)
    assert first is not None and again is not None
    assert first.task_id == again.task_id
    assert first.task_id.startswith("T") and len(first.task_id) == 25
    assert other_alert is not None and other_alert.task_id != first.task_id
    assert other_action is not None and other_action.task_id != first.task_id


def test_holdout_draw_is_deterministic():
    contact = ContactPolicy()
    draws = [in_holdout(f"C{i:07d}", contact) for i in range(500)]
    assert draws == [in_holdout(f"C{i:07d}", contact) for i in range(500)]


def test_holdout_share_is_five_percent_within_one_point():
    contact = ContactPolicy()
    share = sum(in_holdout(f"C{i:07d}", contact) for i in range(10_000)) / 10_000
    assert abs(share - 0.05) <= 0.01, share


def test_holdout_share_follows_policy_and_salt():
    ids = [f"C{i:07d}" for i in range(2_000)]
    assert not any(in_holdout(c, ContactPolicy(holdout_share=0.0)) for c in ids)
    assert all(in_holdout(c, ContactPolicy(holdout_share=1.0)) for c in ids)
    salted = ContactPolicy(holdout_salt="another-experiment")
    assert [in_holdout(c, salted) for c in ids] != [in_holdout(c, ContactPolicy()) for c in ids]


def test_a_holdout_customers_task_is_marked_control():
    contact = ContactPolicy()
    member = next(f"C{i:07d}" for i in range(1_000) if in_holdout(f"C{i:07d}", contact))
    outsider = next(f"C{i:07d}" for i in range(1_000) if not in_holdout(f"C{i:07d}", contact))
    tasks = [task_for(_alert("usage_drop", customer_id=c), POLICY) for c in (member, outsider)]
    assert [t.control if t else None for t in tasks] == [True, False]


# --- contact policy (evaluate._contact) -----------------------------------------------------


def _task(action: str, alert_id: str, ts: int = T0):
    alert = dataclasses.replace(_alert(action_signal(action), alert_id=alert_id), ts=ts)
    task = task_for(alert, POLICY)
    assert task is not None and task.action == action
    return task


def action_signal(action: str) -> str:
    return {"usage_incentive": "usage_drop", "reactivation": "zero_activity"}[action]


def test_one_open_task_per_action():
    state = CustomerState("C000001")
    first = _task("usage_incentive", "A1")
    assert _contact(state, first, T0, CONTACT) is first
    later = _task("usage_incentive", "A2", T0 + 24 * HOUR)
    assert _contact(state, later, T0 + 24 * HOUR, CONTACT) is None  # the first is still open
    assert state.open_tasks == {"usage_incentive": (first.expires_at, first.task_id)}


def test_another_action_gets_its_own_task():
    state = CustomerState("C000001")
    assert _contact(state, _task("usage_incentive", "A1"), T0, CONTACT) is not None
    assert _contact(state, _task("reactivation", "A2", T0 + HOUR), T0 + HOUR, CONTACT) is not None
    assert set(state.open_tasks) == {"usage_incentive", "reactivation"}


def test_an_expired_task_no_longer_blocks_its_action():
    state = CustomerState("C000001")
    first = _task("usage_incentive", "A1")
    _contact(state, first, T0, CONTACT)
    later_ts = first.expires_at + 1
    later = _task("usage_incentive", "A2", later_ts)
    assert _contact(state, later, later_ts, CONTACT) is later
    assert state.task_times == [T0, later_ts]


def test_a_suppressed_action_gets_no_task_until_the_suppression_ends():
    state = CustomerState("C000001")
    state.suppressed["usage_incentive"] = T0 + 30 * 24 * HOUR
    assert _contact(state, _task("usage_incentive", "A1"), T0, CONTACT) is None
    end = T0 + 30 * 24 * HOUR
    assert _contact(state, _task("usage_incentive", "A2", end), end, CONTACT) is not None


def test_no_task_in_no_task_out():
    assert _contact(CustomerState("C000001"), None, T0, CONTACT) is None
