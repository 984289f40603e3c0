"""The churn-reason category (issue #10): every alert carries one of the playbook's churn
causes, from the signal behind its score by a policy table; a clear keeps what it clears."""

from __future__ import annotations

import pytest

from config.policy import REASON_CATEGORIES as POLICY_CATEGORIES
from config.policy import (
    SIGNAL_IDS,
    Policy,
    PolicyError,
    ReasonCategoryPolicy,
    policy_from_dict,
)
from streams.reasons import alert_category, category_of
from tests.streams.scenarios import Life, clock_keeper, run, state_in
from tests.support.story import Story, merged
from topics.records import REASON_CATEGORIES, Alert, Reason

TABLE = ReasonCategoryPolicy()
END = 80


def _reason(signal: str, contribution: float) -> Reason:
    return Reason(signal, contribution, 1.0, f"{signal} seen")


# --- the table ------------------------------------------------------------------------------------


def test_the_categories_are_the_playbooks_churn_causes():
    assert REASON_CATEGORIES == POLICY_CATEGORIES == (
        "product", "price", "service", "benefit", "management", "industry", "natural",
    )  # fmt: skip


def test_every_catalogue_signal_has_a_category():
    assert set(TABLE.by_signal) == set(SIGNAL_IDS)
    assert set(TABLE.by_signal.values()) <= set(REASON_CATEGORIES)


@pytest.mark.parametrize(
    ("signal", "category"),
    [
        ("network_quality", "product"),
        ("spend_below_plan", "price"),
        ("bill_shock", "price"),
        ("plan_downgrade", "price"),
        ("complaint", "service"),
        ("competitor_contact", "benefit"),
        ("port_out_request", "benefit"),
        ("cancel_inquiry", "benefit"),
        ("call_forwarding", "benefit"),
        ("social_churn", "benefit"),
        ("contract_expiring", "benefit"),
        ("payment_issue", "management"),
        ("usage_drop", "industry"),
        ("zero_activity", "natural"),
    ],
)
def test_the_default_table_follows_the_playbook(signal, category):
    assert TABLE.by_signal[signal] == category


def test_the_top_warning_reason_decides():
    reasons = (_reason("complaint", 3.5), _reason("bill_shock", 1.5), _reason("tenure", -1.0))
    assert category_of(reasons, TABLE) == "service"
    assert alert_category("raised", reasons, None, TABLE) == "service"


def test_protective_factors_never_decide_a_category():
    only_protection = (_reason("tenure", -1.0), _reason("account_manager", -0.4))
    assert category_of(only_protection, TABLE) is None
    assert alert_category("raised", only_protection, None, TABLE) == TABLE.fallback


def test_a_signal_the_table_does_not_name_takes_the_fallback():
    table = ReasonCategoryPolicy(by_signal={"complaint": "service"}, fallback="product")
    assert category_of((_reason("bill_shock", 2.0), _reason("complaint", 1.0)), table) == (
        "product"
    )


def test_a_clear_keeps_the_category_it_clears():
    nothing_left = (_reason("tenure", -1.0),)
    assert alert_category("cleared", nothing_left, "price", TABLE) == "price"
    assert alert_category("cleared", (_reason("complaint", 1.0),), "price", TABLE) == "price"
    # State from before categories: the current reasons, else the fallback.
    assert alert_category("cleared", (_reason("complaint", 1.0),), None, TABLE) == "service"
    assert alert_category("cleared", nothing_left, None, TABLE) == TABLE.fallback


def test_an_escalation_takes_the_category_of_its_new_top_reason():
    reasons = (_reason("port_out_request", 7.0), _reason("complaint", 3.0))
    assert alert_category("escalated", reasons, "service", TABLE) == "benefit"


# --- scenarios: each category from its signals ------------------------------------------------


def _dropping_calls(story: Life, first: int, last: int) -> Life:
    """Two more outgoing calls a day, cut by the network."""
    for day in range(first, last + 1):
        story.outgoing(day, 2, hour=12, dropped=True).outgoing(day, 2, hour=19, dropped=True)
    return story


def _stories() -> dict[str, Story]:
    """One customer per churn cause, each alerted by the cause's own signal."""
    return {
        "product": _dropping_calls(Life("C000011").steady(0, END), 45, 52),
        "price": (
            Life("C000012")
            .crm(0, "profile", plan_fee=188.0)
            .paid_usage(0, END, 0.6)
            .usage(0, END, minutes=5, mb=50)
        ),
        "service": (
            Story("C000013")
            .steady(0, END)
            .crm(45, "complaint", complaint_id="K1", category="billing", severity=3)
        ),
        "benefit": Story("C000014").steady(0, END).call(45, 3, to="10010", hour=15),
        "management": (
            Story("C000015").steady(0, END).billing(45, "overdue", 120.0, days_overdue=75)
        ),
        "industry": Life("C000016").steady(0, 35).usage(36, END, minutes=2, mb=60),
        "natural": Story("C000017").steady(0, 40),
    }


def _first_alerts(policy: Policy | None = None) -> dict[str, Alert]:
    stories = _stories()
    keepers = [clock_keeper(s.customer_id, END) for s in stories.values()]
    result = run(merged(*stories.values(), *keepers), policy).result
    firsts: dict[str, Alert] = {}
    for alert in result.alerts:
        firsts.setdefault(alert.customer_id, alert)
    return {cause: firsts[story.customer_id] for cause, story in stories.items()}


def test_each_category_is_produced_by_its_signals():
    firsts = _first_alerts()
    expected_top = {
        "product": "network_quality",
        "price": "spend_below_plan",
        "service": "complaint",
        "benefit": "competitor_contact",
        "management": "payment_issue",
        "industry": "usage_drop",
        "natural": "zero_activity",
    }
    assert set(firsts) == set(REASON_CATEGORIES)
    for cause, alert in firsts.items():
        assert alert.status == "raised"
        assert alert.reasons[0].signal == expected_top[cause], cause
        assert alert.reason_category == cause
        assert alert.to_wire(emitted_at=0)["reason_category"] == cause


def test_a_policy_can_remap_a_signals_category():
    policy = policy_from_dict({"reason_category": {"by_signal": {"usage_drop": "natural"}}})
    assert policy.reason_category.by_signal["zero_activity"] == "natural"  # others kept
    firsts = _first_alerts(policy)
    assert firsts["industry"].reason_category == "natural"
    assert firsts["product"].reason_category == "product"


def test_every_alert_of_a_run_carries_a_category():
    stories = _stories()
    keepers = [clock_keeper(s.customer_id, END) for s in stories.values()]
    result = run(merged(*stories.values(), *keepers)).result
    assert result.alerts
    assert all(a.reason_category in REASON_CATEGORIES for a in result.alerts)


def test_a_cleared_alert_keeps_the_category_it_clears():
    # One competitor call: medium for 14 days, then the call leaves the window and the
    # customer is cleared with no warning left to name a category.
    story = Story("C000021").steady(0, END).call(30, 3, to="10010", hour=15)
    runner = run(merged(story, clock_keeper(story.customer_id, END)))
    raised, cleared = runner.result.alerts
    assert (raised.status, cleared.status) == ("raised", "cleared")
    assert not [r for r in cleared.reasons if r.contribution > 0]
    assert raised.reason_category == cleared.reason_category == "benefit"
    assert state_in(runner, "C000021").alert_category == "benefit"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reason_category": {"by_signal": {"usage_drop": "weather"}}}, "'weather' is not one"),
        ({"reason_category": {"by_signal": {"tenure": "price"}}}, "by_signal.tenure: unknown"),
        ({"reason_category": {"fallback": "unknown"}}, "reason_category.fallback"),
        ({"reason_category": {"table": {}}}, "reason_category.table: unknown key"),
    ],
)
def test_the_category_table_is_validated(overrides, message):
    with pytest.raises(PolicyError, match=message):
        policy_from_dict(overrides)
