"""Protective factors (issue #10): switching costs lower the risk, visibly — negative
contributions with their own sentence, policy like every weight, never a reason to act and
never fired by missing data."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta

import pytest

from config.policy import PROTECTIVE_IDS, Policy, PolicyError, ProtectivePolicy, policy_from_dict
from streams.locale import knows, localise_detail
from streams.playbook import task_for
from streams.protective import (
    CATALOGUE,
    account_manager,
    bundle,
    contract_running,
    device_subsidy,
    group_plan,
    loyalty_points,
    premium_number,
    protective_factors,
    protective_reasons,
    resolved_satisfied,
    tenure,
    weigh,
)
from streams.reasons import protective, warnings
from streams.scorecard import score_signals
from streams.signal_base import Signal
from streams.signals import SIGNAL_IDS, contract_expiring
from streams.view import CustomerView
from tests.streams.scenarios import clock_keeper, day_close, run, state_in, state_of
from tests.support.story import Story, merged
from topics.catalog import CRM
from topics.inputs import BAD_TYPE, OUT_OF_RANGE, InputEvent, Rejected, decode_event
from topics.records import Alert

P = ProtectivePolicy()
EVAL_DAY = 46  # day close at the start of story day 46 (2026-02-20)
END = 60


def _customer(*, hour: int = 9, **profile: object) -> Story:
    """A steady customer whose day-0 CRM profile carries `profile`."""
    return Story("C000001").crm(0, "profile", hour=hour, **profile).steady(0, EVAL_DAY - 1)


def _view(story: Story, day: int = EVAL_DAY) -> CustomerView:
    return day_close(state_of(story), day)


# --- the scenario of the issue -------------------------------------------------------------


def _competitor_calls(story: Story) -> Story:
    """Two calls to competitors' hotlines on day 45: the same warning for everyone."""
    return story.call(45, 3, to="10010", hour=14).call(45, 2, to="10000", hour=15)


def _loyal() -> Story:
    """With us for six years (the CRM's customer_since), a contract running to May 2027."""
    story = Story("C100001").crm(0, "profile", customer_since="2020-01-05", plan_fee=88.0)
    story.crm(0, "contract", hour=10, contract_end="2027-05-31").steady(0, END)
    return _competitor_calls(story)


def _new() -> Story:
    """Activated on day 0, no contract."""
    story = Story("C100002").crm(0, "activation", hour=8, plan_fee=88.0).steady(0, END)
    return _competitor_calls(story)


def _first_alerts() -> tuple[Alert, Alert, dict[str, tuple[str, ...]]]:
    """The first alert of the loyal and of the new customer, and each one's first task's
    (reasons, talking points)."""
    loyal, new = _loyal(), _new()
    keepers = [clock_keeper(s.customer_id, END) for s in (loyal, new)]
    result = run(merged(loyal, new, *keepers)).result
    firsts: dict[str, Alert] = {}
    for alert in result.alerts:
        firsts.setdefault(alert.customer_id, alert)
    tasks = {t.customer_id: (*t.reasons, "|", *t.talking_points) for t in result.tasks}
    return firsts["C100001"], firsts["C100002"], tasks


def test_identical_warnings_a_six_year_customer_with_a_contract_scores_lower():
    loyal, new, _ = _first_alerts()
    assert loyal.ts == new.ts  # the same day close, the same warning
    assert warnings(loyal.reasons) == warnings(new.reasons)
    (warning,) = warnings(loyal.reasons)
    assert warning.signal == "competitor_contact"
    assert loyal.score < new.score
    assert (new.level, loyal.level) == ("critical", "high")
    assert (round(new.score, 3), round(loyal.score, 2)) == (0.953, 0.80)  # docs/signals.md


def test_the_loyal_customers_alert_shows_its_protective_reasons_last_and_negative():
    loyal, new, _ = _first_alerts()
    assert protective(new.reasons) == []  # a new customer has nothing to lose yet
    shown = [(r.signal, r.detail) for r in protective(loyal.reasons)]
    assert sorted(shown) == [
        ("contract_running", "contract runs to 2027-05"),
        ("tenure", "customer for 6 years"),
    ]
    assert loyal.reasons[: len(warnings(loyal.reasons))] == tuple(warnings(loyal.reasons))
    contributions = [r.contribution for r in loyal.reasons]
    assert contributions == sorted(contributions, reverse=True)  # highest first: they come last
    assert all(r.contribution < 0 for r in protective(loyal.reasons))
    # The reasons still add up to the score, protection included.
    logit = Policy().score.intercept + sum(contributions)
    assert math.log(loyal.score / (1 - loyal.score)) == pytest.approx(logit)
    assert loyal.window["signals"] == new.window["signals"] == 1  # warnings only


def test_protective_reasons_never_make_the_task():
    _, _, tasks = _first_alerts()
    reasons, talking_points = tasks["C100001"][:1], tasks["C100001"][2:]
    assert tasks["C100001"][1] == "|"  # exactly one reason: the warning
    assert reasons == ("competitor_contact",)
    assert not any("6 years" in point or "2027-05" in point for point in talking_points)


def test_the_risk_view_keeps_the_protective_reasons():
    loyal = _loyal()
    state = state_in(run(merged(loyal, clock_keeper(loyal.customer_id, END))), "C100001")
    assert {r["signal"] for r in state.reasons if r["contribution"] < 0} == {
        "tenure",
        "contract_running",
    }


# --- each factor: fires on its story, stays quiet on missing data and near misses ----------


def test_no_protective_factor_without_the_data():
    view = _view(Story("C000001").steady(0, EVAL_DAY - 1))
    assert protective_factors(view, P) == []


def test_tenure_from_the_activation():
    story = Story("C000001").crm(-2200, "activation").steady(0, EVAL_DAY - 1)
    factor = tenure(_view(story), P.tenure)
    assert factor is not None
    assert (factor.id, factor.detail, factor.value) == ("tenure", "customer for 6 years", 6.1)
    assert factor.strength == 1.0


def test_tenure_from_customer_since_when_the_activation_is_older_than_the_history():
    factor = tenure(_view(_customer(customer_since="2022-02-20")), P.tenure)
    assert factor is not None
    assert (factor.detail, factor.value, factor.strength) == ("customer for 4 years", 4.0, 0.75)


def test_an_activation_wins_over_customer_since():
    # Came back last month: the old customer_since is another life.
    story = _customer(customer_since="2015-01-01").crm(20, "activation")
    assert tenure(_view(story), P.tenure) is None


@pytest.mark.parametrize("since", ["2024-03-01", "2026-01-01", "2027-01-01"])
def test_no_tenure_factor_under_two_years_or_from_a_future_date(since):
    assert tenure(_view(_customer(customer_since=since)), P.tenure) is None


def test_a_recent_activation_is_no_tenure():
    story = Story("C000001").crm(0, "activation").steady(0, EVAL_DAY - 1)
    assert tenure(_view(story), P.tenure) is None


def test_contract_running_a_year_or_more_is_full_strength():
    factor = contract_running(_view(_customer(contract_end="2027-05-31")), P.contract_running)
    assert factor is not None
    assert (factor.detail, factor.strength) == ("contract runs to 2027-05", 1.0)


def test_contract_running_just_holds_at_90_days():
    # Story day 46 is 2026-02-20; 90 days later is 2026-05-21.
    factor = contract_running(_view(_customer(contract_end="2026-05-21")), P.contract_running)
    assert factor is not None
    assert (factor.value, factor.strength) == (90, 0.5)


@pytest.mark.parametrize("end", ["2026-05-20", "2026-03-10", "2026-01-31"])
def test_a_contract_near_its_end_protects_no_more(end):
    view = _view(_customer(contract_end=end))
    assert contract_running(view, P.contract_running) is None


def test_a_contract_is_running_or_expiring_never_both():
    signals = Policy().signals
    for day_offset in range(-40, 500, 7):
        end = (date(2026, 2, 20) + timedelta(days=day_offset)).isoformat()
        view = _view(_customer(contract_end=end))
        both = (
            contract_running(view, P.contract_running),
            contract_expiring(view, signals.contract_expiring),
        )
        assert None in both, end


def test_bundle_counts_the_services():
    factor = bundle(_view(_customer(bundle=2)), P.bundle)
    assert factor is not None
    assert (factor.detail, factor.value, factor.strength) == (
        "2 other services bundled with the line",
        2,
        0.75,
    )
    assert bundle(_view(_customer(bundle=0)), P.bundle) is None


def test_a_later_profile_ends_the_bundle():
    story = _customer(bundle=3).crm(30, "profile", bundle=0)
    assert bundle(_view(story), P.bundle) is None


def test_device_subsidy_until_its_end():
    factor = device_subsidy(_view(_customer(device_subsidy_end="2026-11-30")), P.device_subsidy)
    assert factor is not None
    assert factor.detail == "subsidised device until 2026-11-30"
    assert 0.5 < factor.strength < 1.0
    paid_off_soon = _view(_customer(device_subsidy_end="2026-03-01"))
    assert device_subsidy(paid_off_soon, P.device_subsidy) is None


def test_group_plan_and_premium_number_are_flags():
    both = _view(_customer(group_plan=True, premium_number=True))
    group, premium = group_plan(both, P), premium_number(both, P)
    assert group is not None and group.detail == "on a family or group plan"
    assert premium is not None and premium.detail == "has a premium number"
    neither = _view(_customer(group_plan=False, premium_number=False))
    assert (group_plan(neither, P), premium_number(neither, P)) == (None, None)


def test_loyalty_points_to_redeem():
    factor = loyalty_points(_view(_customer(points_balance=12500)), P.loyalty_points)
    assert factor is not None
    assert (factor.detail, factor.strength) == ("12,500 loyalty points to redeem", 1.0)
    assert loyalty_points(_view(_customer(points_balance=600)), P.loyalty_points) is None


def test_an_account_manager_is_protective_but_not_named():
    factor = account_manager(_view(_customer(account_manager="AM-BJ-07")), P)
    assert factor is not None
    assert factor.detail == "has an assigned account manager"
    assert "AM-BJ-07" not in factor.detail


def _complained(**resolution: object) -> Story:
    story = Story("C000001").steady(0, EVAL_DAY - 1)
    story.crm(20, "complaint", complaint_id="K1", category="network")
    return story.crm(30, "complaint_resolved", complaint_id="K1", **resolution)


def test_a_complaint_resolved_to_satisfaction_protects():
    factor = resolved_satisfied(_view(_complained(satisfied=True)), P.resolved_satisfied)
    assert factor is not None
    assert factor.detail == "complaint resolved to the customer's satisfaction on 2026-02-04"
    assert factor.strength == pytest.approx(1.0 - 0.5 * 15.625 / 90)  # 15 days 15 hours ago
    assert factor.value == pytest.approx(15.6)


def test_an_unsatisfied_or_unrated_resolution_does_not_protect():
    for resolution in ({"satisfied": False}, {}):
        view = _view(_complained(**resolution))
        assert resolved_satisfied(view, P.resolved_satisfied) is None


def test_no_recovery_while_another_complaint_is_open():
    story = _complained(satisfied=True).crm(40, "complaint", complaint_id="K2")
    assert resolved_satisfied(_view(story), P.resolved_satisfied) is None


def test_a_later_unsatisfied_care_contact_ends_the_recovery():
    story = _complained(satisfied=True).crm(40, "care_contact", satisfied=False)
    assert resolved_satisfied(_view(story), P.resolved_satisfied) is None


def test_a_satisfied_care_contact_protects_too():
    story = Story("C000001").steady(0, EVAL_DAY - 1).crm(40, "care_contact", satisfied=True)
    factor = resolved_satisfied(_view(story), P.resolved_satisfied)
    assert factor is not None
    assert factor.detail == "satisfied after a care contact on 2026-02-14"


def test_a_satisfied_resolution_fades_out_of_the_window():
    story = _complained(satisfied=True)
    assert resolved_satisfied(_view(story, day=121), P.resolved_satisfied) is None
    late = resolved_satisfied(_view(story, day=119), P.resolved_satisfied)
    assert late is not None and late.strength == pytest.approx(0.5 + 0.5 * 1.375 / 90)


def test_the_catalogue_lists_the_policy_ids_and_no_signal():
    assert tuple(name for name, _ in CATALOGUE) == PROTECTIVE_IDS
    assert not set(PROTECTIVE_IDS) & set(SIGNAL_IDS)
    assert set(P.weights) == set(PROTECTIVE_IDS)
    assert all(weight < 0 for weight in P.weights.values())


# --- weights, cap, score -------------------------------------------------------------------


def _everything() -> Story:
    return _customer(
        customer_since="2018-01-01",
        contract_end="2028-01-31",
        bundle=3,
        device_subsidy_end="2027-06-30",
        group_plan=True,
        premium_number=True,
        points_balance=20000,
        account_manager="AM-SH-01",
    )


def test_protection_is_capped_and_scaled_in_proportion():
    view = _view(_everything())
    factors = protective_factors(view, P)
    assert len(factors) == 8
    uncapped = weigh(factors, ProtectivePolicy(max_total=100.0))
    capped = protective_reasons(view, P)
    assert sum(r.contribution for r in uncapped) < -P.max_total
    assert sum(r.contribution for r in capped) == pytest.approx(-P.max_total)
    ratio = capped[0].contribution / uncapped[0].contribution
    for low, high in zip(capped, uncapped, strict=True):
        assert low.contribution == pytest.approx(high.contribution * ratio)


def test_a_port_out_request_stays_high_whatever_the_switching_costs():
    view = _view(_everything())
    port_out = Signal("port_out_request", 1.0, 1, "asked to port the number out")
    scored = score_signals([port_out], Policy().score, protective_reasons(view, P))
    assert scored.score > Policy().levels.high


def test_protective_weights_are_policy():
    policy = policy_from_dict({"protective": {"weights": {"tenure": -2.5}, "max_total": 10}})
    assert policy.protective.weights["tenure"] == -2.5
    assert policy.protective.weights["contract_running"] == -0.6  # merged, not replaced
    view = _view(_customer(customer_since="2019-01-01"))
    (reason,) = protective_reasons(view, policy.protective)
    assert (reason.signal, reason.contribution) == ("tenure", -2.5)


def test_a_zero_weight_switches_a_factor_off():
    policy = policy_from_dict({"protective": {"weights": {"account_manager": 0}}})
    view = _view(_customer(account_manager="AM-1"))
    assert protective_reasons(view, policy.protective) == []


def test_a_zero_cap_switches_protection_off():
    policy = policy_from_dict({"protective": {"max_total": 0}})
    assert protective_reasons(_view(_everything()), policy.protective) == []


def test_thresholds_are_policy():
    policy = policy_from_dict({"protective": {"tenure": {"min_years": 1}}})
    view = _view(_customer(customer_since="2024-06-01"))
    factor = tenure(view, policy.protective.tenure)
    assert factor is not None and factor.detail == "customer for 1 year"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"protective": {"weights": {"tenure": 0.5}}}, "protective.weights.tenure: 0.5 must be"),
        ({"protective": {"weights": {"usage_drop": -1}}}, "unknown protective factor"),
        ({"protective": {"weights": {"tenure": "a lot"}}}, "expected a number"),
        ({"protective": {"max_total": -1}}, "below the minimum"),
        ({"protective": {"tenure": {"min_years": 7}}}, "min_years <= full_strength_years"),
        ({"protective": {"loyalty": {}}}, "protective.loyalty: unknown key"),
        (
            {"protective": {"contract_running": {"min_days_left": 45}}},
            "must be above signals.contract_expiring.within_days (45)",
        ),
        (
            {"signals": {"contract_expiring": {"within_days": 120}}},
            "protective.contract_running.min_days_left",
        ),
        ({"score": {"weights": {"tenure": 1.0}}}, "score.weights.tenure: unknown signal"),
        ({"score": {"subsumes": {"tenure": ["usage_drop"]}}}, "unknown signal 'tenure'"),
        ({"playbook": [{"action": "a", "channel": "sms", "signals": ["tenure"]}]}, "tenure"),
    ],
)
def test_protective_policy_is_validated_strictly(overrides, message):
    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        policy_from_dict(overrides)


def test_explained_signals_are_folded_before_protection_joins():
    silence = Signal("zero_activity", 0.5, 5, "no outgoing calls, SMS or data for 5 days")
    fade = Signal("usage_drop", 0.9, 0.9, "voice minutes down 90% vs 4-week baseline")
    shield = protective_reasons(_view(_customer(account_manager="AM-1")), P)
    reasons = score_signals([silence, fade], Policy().score, shield).reasons
    assert [(r.signal, round(r.contribution, 3)) for r in reasons] == [
        ("zero_activity", 6.3),
        ("account_manager", -0.3),
    ]


def test_an_alert_with_protective_reasons_gets_the_warning_signals_task():
    view = _view(_customer(account_manager="AM-1", group_plan=True))
    shield = protective_reasons(view, P)
    silence = Signal("zero_activity", 1.0, 10, "no outgoing calls, SMS or data for 10 days")
    scored = score_signals([silence], Policy().score, shield)
    assert [r.signal for r in protective(scored.reasons)] == ["account_manager", "group_plan"]
    alert = Alert(
        alert_id="A1",
        customer_id="C000001",
        status="raised",
        level="medium",
        previous_level="none",
        score=scored.score,
        ts=1_770_000_000,
        stage="departure",
        value_tier="silver",
        reasons=scored.reasons,
        window={},
        model="m",
    )
    task = task_for(alert, Policy())
    assert task is not None
    assert (task.action, task.reasons) == ("reactivation", ("zero_activity",))
    assert all("account manager" not in point for point in task.talking_points)


# --- the contract: optional profile fields ------------------------------------------------


def _crm(**fields: object) -> InputEvent | Rejected:
    story = Story("C000001").crm(0, "profile", **fields)
    ((_, _, record),) = list(story.records())
    return decode_event(CRM, record.value, now=2e9, max_bytes=1 << 20, max_future_s=86_400)


def test_the_new_profile_fields_are_accepted_and_kept():
    fields = {
        "customer_since": "2019-04-01",
        "bundle": 2,
        "device_subsidy_end": "2027-01-31",
        "group_plan": True,
        "premium_number": False,
        "points_balance": 1500.5,
    }
    event = _crm(**fields)
    assert isinstance(event, InputEvent)
    state = state_of(Story("C000001").crm(0, "profile", **fields))
    profile = state.profile_as_of(10**10)
    assert {name: profile[name] for name in fields} == fields


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"bundle": -1}, OUT_OF_RANGE),
        ({"bundle": 21}, OUT_OF_RANGE),
        ({"bundle": "two"}, BAD_TYPE),
        ({"bundle": 1.5}, BAD_TYPE),
        ({"device_subsidy_end": "2026-13-01"}, OUT_OF_RANGE),
        ({"customer_since": "last year"}, OUT_OF_RANGE),
        ({"group_plan": "yes"}, BAD_TYPE),
        ({"premium_number": 1}, BAD_TYPE),
        ({"points_balance": -5}, OUT_OF_RANGE),
    ],
)
def test_bad_profile_fields_are_dead_lettered(fields, code):
    rejected = _crm(**fields)
    assert isinstance(rejected, Rejected)
    assert rejected.code == code


def test_a_profile_without_the_new_fields_still_decodes():
    assert isinstance(_crm(plan_fee=58.0, segment="consumer"), InputEvent)


def test_every_protective_detail_has_a_chinese_rendering():
    details = [f.detail for f in protective_factors(_view(_everything()), P)]
    recovered = _complained(satisfied=True)
    cared = Story("C000001").steady(0, EVAL_DAY - 1).crm(40, "care_contact", satisfied=True)
    for story in (recovered, cared):
        factor = resolved_satisfied(_view(story), P.resolved_satisfied)
        assert factor is not None
        details.append(factor.detail)
    assert len(details) == len(PROTECTIVE_IDS) + 1
    for detail in details:
        assert knows(detail), detail
        assert not re.search(r"[A-Za-z]", localise_detail(detail, "zh")), detail
