"""The explainable scorecard: contributions are log-odds points that add up to the score."""

from __future__ import annotations

import math

import pytest

from config.policy import LevelPolicy, ScorePolicy
from streams.features import FEATURE_IDS
from streams.scorecard import level_of, score_signals
from streams.signals import SIGNAL_IDS, Signal
from topics.records import Reason

POLICY = ScorePolicy()


def _signal(signal_id: str, strength: float) -> Signal:
    return Signal(signal_id, strength, 1.0, f"{signal_id} detail")


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def test_no_signal_scores_the_intercept():
    scored = score_signals([], POLICY)
    assert scored.reasons == ()
    assert scored.score == pytest.approx(1 / (1 + math.exp(3.0)))


def test_contributions_are_weight_times_strength_and_sum_with_intercept_to_the_logit():
    signals = [
        _signal("usage_drop", 0.6),
        _signal("competitor_contact", 0.5),
        _signal("contract_expiring", 0.8),
    ]
    scored = score_signals(signals, POLICY)
    contributions = {r.signal: r.contribution for r in scored.reasons}
    assert contributions == pytest.approx(
        {"usage_drop": 4.2, "competitor_contact": 4.0, "contract_expiring": 4.0 * 0.8}
    )
    total = POLICY.intercept + sum(contributions.values())
    assert _logit(scored.score) == pytest.approx(total)


def test_reasons_are_ordered_by_contribution_highest_first():
    signals = [
        _signal("usage_drop", 0.5),  # 3.5
        _signal("port_out_request", 1.0),  # 7.0
        _signal("contract_expiring", 1.0),  # 4.0
        _signal("competitor_contact", 0.5),  # 4.0: a tie, broken by the signal id
    ]
    reasons = score_signals(signals, POLICY).reasons
    assert [r.signal for r in reasons] == [
        "port_out_request",
        "competitor_contact",
        "contract_expiring",
        "usage_drop",
    ]


def test_silence_takes_over_the_usage_drop_it_explains_with_the_larger_weight():
    signals = [_signal("zero_activity", 0.5), _signal("usage_drop", 0.9)]  # 3.5 and 6.3
    (reason,) = score_signals(signals, POLICY).reasons
    assert (reason.signal, reason.contribution) == ("zero_activity", pytest.approx(6.3))


def test_reasons_carry_the_signal_value_and_detail():
    (reason,) = score_signals([Signal("zero_activity", 0.6, 6, "idle 6 days")], POLICY).reasons
    assert (reason.value, reason.detail) == (6, "idle 6 days")
    assert reason.to_wire() == {
        "signal": "zero_activity",
        "contribution": 4.2,
        "value": 6,
        "detail": "idle 6 days",
    }


def test_a_signal_without_a_weight_contributes_nothing():
    weights = {k: v for k, v in POLICY.weights.items() if k != "bill_shock"}
    unweighted = ScorePolicy(weights=weights)
    scored = score_signals([_signal("bill_shock", 1.0)], unweighted)
    assert scored.reasons[0].contribution == 0.0
    assert scored.score == score_signals([], unweighted).score


def test_every_catalogue_signal_has_a_default_weight():
    assert set(POLICY.weights) == set(SIGNAL_IDS)
    levels = set(FEATURE_IDS)  # off until a fitted policy weighs them
    assert all(w > 0 for name, w in POLICY.weights.items() if name not in levels)
    assert all(POLICY.weights[name] == 0.0 for name in levels)


def test_a_network_complaint_explains_the_dropped_calls_counted_once():
    signals = [_signal("complaint", 0.5), _signal("network_quality", 0.9)]  # 3.0 and 3.6
    (reason,) = score_signals(signals, POLICY).reasons
    assert (reason.signal, reason.contribution) == ("complaint", pytest.approx(3.6))


def test_policy_examples_for_the_new_signals():
    levels = LevelPolicy()

    def level(*signals: Signal) -> str:
        return level_of(score_signals(list(signals), POLICY).score, levels)

    assert level(_signal("cancel_inquiry", 1.0)) == "high"
    assert level(_signal("call_forwarding", 0.5)) == "medium"
    assert level(_signal("complaint", 0.5)) == "medium"
    assert level(_signal("social_churn", 0.5)) == "none"  # supporting: needs company
    assert level(_signal("bill_shock", 0.5)) == "none"
    assert level(_signal("bill_shock", 0.5), _signal("network_quality", 0.5)) == "medium"


def test_policy_examples_port_out_alone_is_critical_one_competitor_call_is_high():
    levels = LevelPolicy()
    assert level_of(score_signals([_signal("port_out_request", 1.0)], POLICY).score, levels) == (
        "critical"
    )
    one_call = score_signals([_signal("competitor_contact", 0.5)], POLICY).score
    assert level_of(one_call, levels) == "high"
    # Behind the switching costs a customer has in practice (about a point), still medium.
    shield = (Reason("tenure", -0.9, 6.0, "customer for 6 years"),)
    shielded = score_signals([_signal("competitor_contact", 0.5)], POLICY, shield).score
    assert level_of(shielded, levels) == "medium"


def test_policy_examples_the_early_signals_reach_medium_where_they_start():
    levels = LevelPolicy()
    for signal in ("usage_drop", "zero_activity", "competitor_contact"):
        assert level_of(score_signals([_signal(signal, 0.5)], POLICY).score, levels) != "none"
    three_weeks_left = _signal("contract_expiring", 0.5 + 0.5 * 24 / 45)  # 21 of 45 days left
    assert level_of(score_signals([three_weeks_left], POLICY).score, levels) == "medium"


@pytest.mark.parametrize(
    ("score", "level"),
    [(0.0, "none"), (0.499, "none"), (0.5, "medium"), (0.7, "high"), (0.9, "critical")],
)
def test_level_lines_are_inclusive(score, level):
    assert level_of(score, LevelPolicy()) == level
