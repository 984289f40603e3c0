"""Customers at risk and churned by churn-reason category and value tier (issue #10): the
batch step counts alerts and churns, and who is at risk now (read at scrape time)."""

from __future__ import annotations

from agents.pipeline import Pipeline
from tests.agents.test_pipeline import caught_up, messages_of, pipeline, sample
from tests.support.story import Story
from topics.records import REASON_CATEGORIES, VALUE_TIERS


def _run(story: Story) -> Pipeline:
    p = pipeline()
    batch = messages_of(story)
    p.process(batch, caught_up(batch))
    return p


def test_alerts_are_counted_by_category_tier_and_status() -> None:
    p = _run(Story("C000001").steady(0, 40).crm(38, "port_out_request"))
    assert sample(
        p, "churnwatch_alerts_by_category_total", category="benefit", tier="standard",
        status="raised",
    ) == 1  # fmt: skip


def test_a_churn_counts_under_its_last_alerts_category() -> None:
    story = Story("C000001").steady(0, 40).crm(38, "port_out_request").crm(40, "port_out_completed")
    p = _run(story)
    assert sample(p, "churnwatch_churns_by_category_total", category="benefit", tier="standard")
    assert sample(p, "churnwatch_churns_by_category_total", category="none", tier="standard") == 0


def test_a_churn_without_an_alert_counts_as_none() -> None:
    p = _run(Story("C000001").steady(0, 32).crm(30, "deactivation"))
    assert sample(
        p, "churnwatch_churns_by_category_total", category="none", tier="standard"
    ) == 1  # fmt: skip


def test_customers_at_risk_by_category_are_counted_at_scrape_time() -> None:
    p = _run(Story("C000001").steady(0, 40).crm(38, "complaint", category="billing", severity=3))
    p.observe_categories()
    assert sample(
        p, "churnwatch_customers_at_risk_by_category", category="service", tier="standard"
    ) == 1  # fmt: skip
    # Every combination is exported, zeros included: "no price risk among gold" is an answer.
    for category in REASON_CATEGORIES:
        for tier in VALUE_TIERS:
            value = p.metrics.registry.get_sample_value(
                "churnwatch_customers_at_risk_by_category", {"category": category, "tier": tier}
            )
            assert value == (1 if (category, tier) == ("service", "standard") else 0)


def test_a_churned_customer_is_no_longer_at_risk() -> None:
    story = Story("C000001").steady(0, 40).crm(38, "port_out_request").crm(40, "port_out_completed")
    p = _run(story)
    p.observe_categories()
    assert sample(
        p, "churnwatch_customers_at_risk_by_category", category="benefit", tier="standard"
    ) == 0  # fmt: skip
