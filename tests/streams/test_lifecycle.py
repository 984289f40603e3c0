"""Lifecycle stage and value tier: what every alert and the risk view say about where the
customer is with us and what they are worth."""

from __future__ import annotations

import pytest

from config.policy import Policy, SignalPolicy, TierPolicy
from streams.lifecycle import monthly_spend, stage, value_tier
from streams.offline import run_offline
from streams.signals import Signal, all_signals
from tests.streams.scenarios import UTC, Life, clock_keeper, day_close, state_of
from tests.support.story import Story, merged

P = SignalPolicy()


def _stage(story: Story, day: int) -> str:
    view = day_close(state_of(story), day)
    return stage(view, all_signals(view, P))


# --- value tier -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spend", "tier"),
    [(300, "platinum"), (299.9, "gold"), (150, "gold"), (60, "silver"), (59, "standard")],
)
def test_tiers_by_monthly_spend(spend, tier):
    assert value_tier(spend, TierPolicy()) == tier


def test_monthly_spend_averages_three_months_of_invoices():
    story = Story("C000001").steady(0, 95)
    for day, amount in ((28, 80.0), (56, 90.0), (84, 100.0)):
        story.billing(day, "invoice", amount)
    assert monthly_spend(day_close(state_of(story), 95)) == pytest.approx(90.0)


def test_a_one_month_customers_top_ups_are_not_divided_by_three():
    story = Story("C000001").crm(0, "activation", plan_fee=29.0).steady(0, 20)
    story.billing(0, "topup", 50.0).billing(12, "topup", 50.0)
    assert monthly_spend(day_close(state_of(story), 21)) == pytest.approx(100.0)


def test_a_two_month_customers_top_ups_average_over_two_months():
    story = Story("C000001").crm(0, "activation").steady(0, 59)
    for day in (0, 15, 30, 45):
        story.billing(day, "topup", 30.0)
    assert monthly_spend(day_close(state_of(story), 60)) == pytest.approx(60.0)


def test_without_bills_the_plan_fee_is_the_spend():
    story = Story("C000001").crm(0, "profile", plan_fee=188.0).steady(0, 10)
    assert monthly_spend(day_close(state_of(story), 11)) == 188.0


def test_without_bills_or_plan_the_charged_usage_is_the_spend():
    story = Life("C000001").paid_usage(0, 44, 2.0)  # 45 days: a month and a half
    assert monthly_spend(day_close(state_of(story), 45)) == pytest.approx(90.0 / 1.5)


# --- stage ------------------------------------------------------------------------------------


def test_unknown_tenure_counts_as_maturity():
    assert _stage(Story("C000001").steady(0, 60), 61) == "maturity"


def test_a_new_customer_is_in_acquisition_for_90_days():
    story = Story("C000001").crm(0, "activation").steady(0, 95)
    assert _stage(story, 89) == "acquisition"
    assert _stage(story, 91) == "maturity"


def test_a_cancel_inquiry_or_silence_means_departure():
    assert _stage(Story("C000001").steady(0, 40).crm(38, "cancel_inquiry"), 41) == "departure"
    assert _stage(Life("C000001").usage(0, 30, 10, 100), 41) == "departure"  # 10 idle days


def test_a_downgrade_means_decline():
    story = Story("C000001").crm(0, "profile", plan_fee=88.0).steady(0, 40)
    story.crm(38, "plan_change", plan_fee=58.0)
    assert _stage(story, 41) == "decline"


def test_rising_activity_means_growth():
    story = Life("C000001").usage(0, 27, minutes=5, mb=50).usage(28, 59, minutes=10, mb=100)
    assert _stage(story, 60) == "growth"


def test_rising_spend_means_growth():
    story = Life("C000001").usage(0, 59, minutes=5, mb=50)
    story.paid_usage(0, 29, 1.0).paid_usage(30, 59, 2.0)  # same usage, twice the charges
    view = day_close(state_of(story), 60)
    assert stage(view, [Signal("x", 0.5, 0, "")]) == "growth"


def test_every_alert_carries_stage_and_tier():
    story = (
        Story("C000001").crm(0, "profile", plan_fee=188.0).steady(0, 50).crm(45, "cancel_inquiry")
    )
    result = run_offline(merged(story, clock_keeper("C000001", 50)), Policy(), UTC)
    (alert,) = result.alerts
    assert (alert.stage, alert.value_tier) == ("departure", "gold")
    assert alert.reasons[0].signal == "cancel_inquiry"
