"""The at-risk tally: a customer's standing, and counts that follow its changes."""

from __future__ import annotations

from config.policy import ContactPolicy
from streams.at_risk import AtRiskTally, Standing, by_category, by_level, standing, untasked
from streams.playbook import in_holdout
from streams.state import CustomerState

CONTACT = ContactPolicy()
FALLBACK = "other"


def _at_risk(customer_id: str = "C1", level: str = "high", **fields: object) -> CustomerState:
    state = CustomerState(customer_id, level=level, last_eval_ts=1_000, alert_category="price")
    for name, value in fields.items():
        setattr(state, name, value)
    return state


def _treated(prefix: str) -> str:
    """A customer id outside the control group."""
    return next(f"{prefix}{n}" for n in range(100) if not in_holdout(f"{prefix}{n}", CONTACT))


def test_no_level_or_churned_is_not_at_risk() -> None:
    assert standing(CustomerState("C1"), CONTACT, FALLBACK) is None
    assert standing(_at_risk(churned_ts=900), CONTACT, FALLBACK) is None


def test_an_open_task_makes_a_customer_tasked_until_it_expires() -> None:
    customer = _treated("C")
    state = _at_risk(customer, open_tasks={"callback": (2_000, "T1")})
    assert standing(state, CONTACT, FALLBACK) == Standing(
        "high", "standard", "maturity", "price", False
    )
    state.last_eval_ts = 2_000  # evaluated at its expiry: the task no longer counts
    assert standing(state, CONTACT, FALLBACK) == Standing(
        "high", "standard", "maturity", "price", True
    )


def test_the_control_group_is_never_untasked() -> None:
    held = next(f"H{n}" for n in range(10_000) if in_holdout(f"H{n}", CONTACT))
    found = standing(_at_risk(held), CONTACT, FALLBACK)
    assert found is not None and not found.untasked


def test_an_alert_without_a_category_counts_under_the_fallback() -> None:
    found = standing(_at_risk(alert_category=None), CONTACT, FALLBACK)
    assert found is not None and found.category == FALLBACK


def test_counts_follow_a_customer_through_levels_and_out() -> None:
    tally = AtRiskTally(CONTACT, FALLBACK)
    state = _at_risk(_treated("C"), level="medium")
    tally.observe(state)
    tally.observe(state)  # again, unchanged: counted once
    assert by_level([tally]) == {("medium", "standard", "maturity"): 1}
    state.level = "critical"
    tally.observe(state)
    assert by_level([tally]) == {("critical", "standard", "maturity"): 1}
    assert untasked([tally]) == {("critical", "standard"): 1}
    assert by_category([tally]) == {("price", "standard"): 1}
    state.churned_ts = 1_000
    tally.observe(state)
    assert not tally.counts


def test_tallies_of_several_partitions_add_up() -> None:
    one = AtRiskTally(CONTACT, FALLBACK).observe_all([_at_risk("A"), _at_risk("B", level="low")])
    two = AtRiskTally(CONTACT, FALLBACK).observe_all([_at_risk("C"), CustomerState("D")])
    assert by_level([one, two]) == {
        ("high", "standard", "maturity"): 2,
        ("low", "standard", "maturity"): 1,
    }


def test_a_recount_counts_the_announced_states_as_they_are_then() -> None:
    tally = AtRiskTally(CONTACT, FALLBACK)
    state = CustomerState("C1")
    tally.announced[state.customer_id] = state  # before the change
    state.level, state.last_eval_ts = "high", 1_000
    tally.recount()
    assert by_level([tally]) == {("high", "standard", "maturity"): 1}
    assert not tally.announced
