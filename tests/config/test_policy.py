"""The domain policy: defaults, JSON overrides merged deeply, and whole-policy validation that
names the offending key and never half-applies a file."""

from __future__ import annotations

import dataclasses
import json

import pytest

from config.policy import SIGNAL_IDS, Policy, PolicyError, load_policy, policy_from_dict


def test_defaults_load():
    policy = load_policy(None)
    assert policy == Policy()
    assert policy.ingest.allowed_lateness_hours == 72
    assert policy.ingest.dedupe_horizon_hours == 72
    assert policy.ingest.max_message_bytes == 1024 * 1024
    assert policy.ingest.max_future_hours == 24
    assert policy.signals.competitor_contact.numbers == ("10010", "10000", "10099")
    assert policy.signals.usage_drop.min_drop == 0.5
    assert policy.signals.zero_activity.min_days == 5
    assert policy.signals.contract_expiring.within_days == 45
    assert policy.contact.holdout_share == 0.05
    assert (policy.levels.medium, policy.levels.high, policy.levels.critical) == (0.5, 0.7, 0.9)


def test_the_defaults_pass_their_own_validation():
    assert policy_from_dict({}) == Policy()
    assert policy_from_dict(Policy().to_dict()) == Policy()


def test_a_json_override_file_merges_into_the_defaults(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(
        json.dumps(
            {
                "model": "cw-test-1",
                "signals": {"zero_activity": {"min_days": 7}},
                "levels": {"high": 0.75},
                "score": {"weights": {"usage_drop": 4.0}},
            }
        )
    )
    policy = load_policy(path)
    assert policy.model == "cw-test-1"
    assert policy.signals.zero_activity.min_days == 7
    assert policy.signals.zero_activity.full_strength_days == 10  # sibling kept
    assert policy.signals.usage_drop == Policy().signals.usage_drop  # untouched section kept
    assert policy.levels.high == 0.75 and policy.levels.medium == 0.5
    assert policy.score.weights["usage_drop"] == 4.0
    assert policy.score.weights["port_out_request"] == 7.0  # weights merge, not replace


def test_a_playbook_override_replaces_the_rules(tmp_path):
    path = tmp_path / "policy.json"
    rule = {"action": "renewal_bundle", "channel": "sms", "signals": ["contract_expiring"]}
    path.write_text(json.dumps({"playbook": [rule]}))
    policy = load_policy(str(path))
    (only,) = policy.playbook
    assert (only.action, only.channel, only.signals) == (
        "renewal_bundle",
        "sms",
        ("contract_expiring",),
    )
    assert only.priority == 3  # rule defaults apply


def test_integers_are_accepted_where_numbers_are_expected():
    policy = policy_from_dict({"ingest": {"allowed_lateness_hours": 48}})
    assert policy.ingest.allowed_lateness_hours == 48.0
    assert isinstance(policy.ingest.allowed_lateness_hours, float)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"levels": {"meduim": 0.4}}, "levels.meduim: unknown key"),
        ({"colour": "red"}, "colour: unknown key"),
        ({"playbook": [{"action": "x", "channel": "sms", "bogus": 1}]}, "playbook[0].bogus"),
        ({"levels": {"medium": "high"}}, "levels.medium: expected a number"),
        ({"signals": {"zero_activity": {"min_days": 5.5}}}, "signals.zero_activity.min_days"),
        ({"signals": {"zero_activity": {"min_days": True}}}, "signals.zero_activity.min_days"),
        ({"signals": {"competitor_contact": {"numbers": "10010"}}}, "numbers: expected a list"),
        ({"signals": {"competitor_contact": {"numbers": [10010]}}}, "numbers[0]"),
        ({"levels": 0.5}, "levels: expected an object"),
        ({"score": {"weights": {"usage_drop": "high"}}}, "score.weights.usage_drop"),
        ({"ingest": {"allowed_lateness_hours": float("nan")}}, "allowed_lateness_hours"),
        ({"levels": {"medium": 1.5}}, "levels.medium: 1.5 is above the maximum 1"),
        ({"signals": {"usage_drop": {"min_drop": 0}}}, "signals.usage_drop.min_drop: 0"),
        ({"contact": {"holdout_share": -0.1}}, "contact.holdout_share"),
        ({"playbook": [{"action": "x", "channel": "sms", "priority": 9}]}, "playbook[0].priority"),
        ({"playbook": [{"channel": "sms"}]}, "playbook[0].action: required"),
        ({"playbook": [{"action": "x", "channel": "fax"}]}, "playbook[0].channel"),
        ({"playbook": [{"action": "x", "channel": "sms", "min_level": "low"}]}, "min_level"),
        ({"locale": "fr"}, "locale"),
        ({"tiers": {"gold": 500}}, "tiers"),
        ({"signals": {"call_forwarding": {"min_share": 1.5}}}, "call_forwarding.min_share"),
        ({"signals": {"complaint": {"repeat_count": 1}}}, "complaint.repeat_count: 1"),
        ({"signals": {"spend_below_plan": {"window_days": 120}}}, "spend_below_plan.window"),
        ({"signals": {"bill_shock": {"history_invoices": 4}}}, "bill_shock.history_invoices"),
        ({"signals": {"payment_issue": {"cadence_factor": 0.5}}}, "payment_issue.cadence"),
        ({"signals": {"network_quality": {"min_drops": 0}}}, "network_quality.min_drops"),
        ({"signals": {"plan_downgrade": {"full_strength_cut": 0}}}, "plan_downgrade.full"),
        ({"signals": {"social_churn": {"top_contacts": 500}}}, "social_churn.top_contacts"),
        ({"signals": {"social_churn": {"settle_hours": -1}}}, "social_churn.settle_hours"),
        ({"signals": {"usage_drop": {"population_min_dip": 2}}}, "usage_drop.population_min"),
        ({"signals": {"cancel_inquiry": {"windows_days": 5}}}, "cancel_inquiry.windows_days"),
        ({"score": {"subsumes": {"complaint": ["network"]}}}, "score.subsumes.complaint"),
        ({"playbook": [{"action": "x", "channel": "sms", "signals": ["complain"]}]}, "complain"),
    ],
)
def test_a_bad_policy_raises_naming_the_key(overrides, key):
    with pytest.raises(PolicyError) as raised:
        policy_from_dict(overrides)
    assert key in str(raised.value)


@pytest.mark.parametrize("high", [0.5, 0.45])
def test_medium_must_stay_below_high(high):
    with pytest.raises(PolicyError, match="levels: medium < high < critical"):
        policy_from_dict({"levels": {"high": high}})


def test_high_must_stay_below_critical():
    with pytest.raises(PolicyError, match="levels"):
        policy_from_dict({"levels": {"critical": 0.7}})


def test_levels_can_move_together():
    policy = policy_from_dict({"levels": {"medium": 0.3, "high": 0.4, "critical": 0.5}})
    assert policy.levels.critical == 0.5


def test_nothing_is_half_applied(tmp_path):
    path = tmp_path / "policy.json"
    good_then_bad = {"model": "half", "levels": {"medium": 0.4}, "signals": {"oops": {}}}
    path.write_text(json.dumps(good_then_bad))
    with pytest.raises(PolicyError, match=r"signals\.oops"):
        load_policy(path)
    assert Policy().model != "half"
    assert Policy().levels.medium == 0.5
    assert load_policy(None) == Policy()  # the defaults are untouched by the failed load


def test_a_failed_merge_leaves_the_callers_overrides_alone():
    overrides = {"score": {"weights": {"usage_drop": 1.0}}, "levels": {"high": 0.2}}
    with pytest.raises(PolicyError):
        policy_from_dict(overrides)
    assert overrides == {"score": {"weights": {"usage_drop": 1.0}}, "levels": {"high": 0.2}}
    assert Policy().score.weights["usage_drop"] == 7.0


def test_an_unreadable_or_invalid_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError, match="CHURNWATCH_CONFIG: cannot read"):
        load_policy(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(PolicyError, match="not valid JSON"):
        load_policy(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    with pytest.raises(PolicyError, match="expected an object"):
        load_policy(listed)


def test_a_policy_round_trips_through_its_dict():
    policy = policy_from_dict(
        {"model": "m2", "signals": {"contract_expiring": {"within_days": 60}}}
    )
    assert policy_from_dict(policy.to_dict()) == policy


def test_policies_are_frozen():
    with pytest.raises(AttributeError):
        Policy().model = "changed"  # type: ignore[misc]


def test_a_weight_for_an_unknown_signal_is_rejected():
    with pytest.raises(PolicyError, match=r"score\.weights\.usage_drp"):
        policy_from_dict({"score": {"weights": {"usage_drp": 5.0}}})


def test_defaults_of_the_whole_catalogue():
    signals = Policy().signals
    assert signals.call_forwarding.min_share == 0.5
    assert signals.complaint.repeat_count == 2
    assert signals.cancel_inquiry.window_days == 30
    assert signals.spend_below_plan.max_share == 0.3
    assert signals.spend_below_plan.window_days == 60
    assert signals.bill_shock.min_ratio == 1.5
    assert signals.bill_shock.history_invoices == 3
    assert (signals.network_quality.min_drop_rate, signals.network_quality.min_drops) == (0.05, 3)
    assert signals.social_churn.min_contacts == 2
    assert signals.social_churn.top_contacts == 10


def test_every_signal_has_a_policy_section_and_a_weight():
    policy = Policy()
    assert set(SIGNAL_IDS) == {f.name for f in dataclasses.fields(policy.signals)}
    assert set(policy.score.weights) == set(SIGNAL_IDS)
    assert policy.score.subsumes == {
        "zero_activity": ("usage_drop",),
        "complaint": ("network_quality",),
    }


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        ("zero_activity", {"min_days": 12}, "min_days <= full_strength_days"),
        ("zero_activity", {"unusual_min_days": 6}, "unusual_min_days <= min_days"),
        ("call_forwarding", {"full_share": 0.4}, "min_share <= full_share"),
        ("spend_below_plan", {"full_share": 0.5}, "full_share <= max_share"),
        ("spend_below_plan", {"min_history_days": 70}, "min_history_days <= window_days"),
        ("bill_shock", {"full_ratio": 1.2}, "min_ratio <= full_ratio"),
        ("network_quality", {"full_drop_rate": 0.01}, "min_drop_rate <= full_drop_rate"),
        ("social_churn", {"min_contacts": 5}, "min_contacts <= full_strength_contacts"),
    ],
)
def test_a_signals_threshold_must_come_before_its_full_strength(section, values, message):
    with pytest.raises(PolicyError, match=f"signals.{section}: {message} must hold"):
        policy_from_dict({"signals": {section: values}})


def test_new_signal_keys_override_from_a_file(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(
        json.dumps(
            {
                "signals": {"social_churn": {"min_contacts": 3, "full_strength_contacts": 6}},
                "score": {"weights": {"social_churn": 6.0}},
            }
        )
    )
    policy = load_policy(path)
    assert policy.signals.social_churn.min_contacts == 3
    assert policy.signals.social_churn.window_days == 30
    assert policy.score.weights["social_churn"] == 6.0
    assert policy.score.weights["complaint"] == 6.0
