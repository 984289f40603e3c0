"""`churnwatch fit`: the regression recovers what it should, beats the default weights out of
sample on simulated history, and writes a policy the worker loads."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import orjson
import pytest

from churnwatch.cli import main
from churnwatch.evaluation_data import read_labels
from churnwatch.evaluation_metrics import auc
from churnwatch.fit import (
    Example,
    Model,
    Penalty,
    build_examples,
    fit_logistic,
    fitted_policy,
    fold_of,
    policy_document,
    snapshot_moments,
    weight_signs,
)
from config.policy import PROTECTIVE_IDS, SIGNAL_IDS, Policy, load_policy, policy_from_dict
from config.settings import Settings
from sim.export import write_jsonl
from sim.population import SimConfig, simulate, write_truth_csv
from streams.calendar import DAY_S, Calendar
from streams.features import FEATURE_IDS
from streams.offline import OfflineRunner, read_replay_file

UTC = Calendar("UTC")
POPULATION = SimConfig(customers=400, days=84, seed=1, churn_share=0.3)
HORIZON = 14
AT = UTC.day_start(UTC.day_of_date(POPULATION.start) + POPULATION.days - HORIZON)  # 2026-03-16


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("history")
    truths, records = simulate(POPULATION)
    events, labels = folder / "events.jsonl", folder / "labels.csv"
    write_jsonl(records, events)
    write_truth_csv(truths, labels)
    return events, labels


@pytest.fixture(scope="module")
def examples(history: tuple[Path, Path]) -> list[Example]:
    events, labels = history
    moments = snapshot_moments(AT, 4, 7)
    found, _ = build_examples(events, read_labels(labels), Policy(), UTC, moments, HORIZON)
    return found


def test_fit_beats_the_default_weights_out_of_sample(examples: list[Example]) -> None:
    train = [e for e in examples if fold_of(e.customer_id, 2) == 0]
    test = [e for e in examples if fold_of(e.customer_id, 2) == 1]
    assert {e.customer_id for e in train}.isdisjoint(e.customer_id for e in test)
    assert sum(e.positive for e in train) > 50 and sum(e.positive for e in test) > 50
    model = fit_logistic(
        [e.strengths for e in train], [e.positive for e in train], list(SIGNAL_IDS), Penalty(),
        weight_signs(), Policy().score.weights, [e.offset for e in train],
    )  # fmt: skip
    outcomes = [e.positive for e in test]
    fitted = auc([model.logit(e.strengths, e.offset) for e in test], outcomes)
    default = auc([e.base_score for e in test], outcomes)
    assert fitted is not None and default is not None
    assert fitted > default, (fitted, default)
    # The gain comes from the early warnings the default policy does not weigh.
    assert model.weights["usage_decline"] > 0


def test_the_examples_cover_every_signal_with_the_features_switched_on(
    examples: list[Example],
) -> None:
    fired = {name for e in examples for name in e.strengths}
    assert {"usage_drop", "zero_activity", "usage_decline", "unusual_silence"} <= fired
    assert fired <= set(SIGNAL_IDS)
    assert len({e.as_of for e in examples}) == 4
    assert all(0.5 <= s <= 1.0 for e in examples for s in e.strengths.values())


def test_fit_writes_a_policy_the_worker_loads(
    history: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events, labels = history
    out = tmp_path / "policy.json"
    argv = ["fit", "--events", str(events), "--labels", str(labels), "--out", str(out)]
    assert main([*argv, "--at", "2026-03-16", "--horizon-days", str(HORIZON)]) == 0
    printed = capsys.readouterr().out
    assert "cross-validated AUC 0." in printed and f"CHURNWATCH_CONFIG={out}" in printed

    document = orjson.loads(out.read_bytes())
    assert set(document) == set(Policy().to_dict())  # complete: every section written
    policy = load_policy(out)  # what `churnwatch worker` does with CHURNWATCH_CONFIG
    assert policy == policy_from_dict(document)
    assert policy == load_policy(Settings.from_env({"CHURNWATCH_CONFIG": str(out)}).config_path)
    assert policy.model.startswith("cw-fit-20260316-") and policy.model != Policy().model
    assert set(policy.score.weights) == set(SIGNAL_IDS)
    assert all(not explained for explained in policy.score.subsumes.values())
    for name in FEATURE_IDS:
        assert getattr(policy.signals, name).enabled == (policy.score.weights[name] > 0)
    assert policy.model in printed

    # The engines the worker runs take it, and every alert names the fitted model and explains
    # each contribution with a named signal and its sentence.
    runner = OfflineRunner(policy, UTC)
    with events.open("rb") as handle:
        result = runner.run(read_replay_file(handle))
    assert result.alerts and all(a.model == policy.model for a in result.alerts)
    for alert in result.alerts:
        for reason in alert.reasons:
            assert reason.signal in (*SIGNAL_IDS, *PROTECTIVE_IDS) and reason.detail


def test_fit_says_why_when_there_is_nothing_to_learn(
    history: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events, labels = history
    argv = ["fit", "--events", str(events), "--labels", str(labels)]
    # The latest event time: every churner is gone by then, no positive is left.
    assert main([*argv, "--out", str(tmp_path / "p.json"), "--snapshots", "1"]) == 2
    assert "nothing to learn" in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()


def _synthetic(n: int, seed: int) -> tuple[list[dict[str, float]], list[bool]]:
    """Logit -3 + 4a; `b` is noise; `c` lowers the risk (-2c)."""
    rng = random.Random(seed)
    rows, outcomes = [], []
    for _ in range(n):
        row = {name: rng.choice((0.0, 0.5, 1.0)) for name in ("a", "b", "c")}
        logit = -3.0 + 4.0 * row["a"] - 2.0 * row["c"]
        rows.append({k: v for k, v in row.items() if v})
        outcomes.append(rng.random() < 1 / (1 + 2.718281828**-logit))
    return rows, outcomes


def test_the_regression_recovers_a_known_model() -> None:
    rows, outcomes = _synthetic(6000, 1)
    model = fit_logistic(rows, outcomes, ["a", "b", "c"], Penalty(0.0, 0.01), {"c": -1})
    assert model.intercept == pytest.approx(-3.0, abs=0.3)
    assert model.weights["a"] == pytest.approx(4.0, abs=0.4)
    assert model.weights["b"] == pytest.approx(0.0, abs=0.3)
    assert model.weights["c"] == pytest.approx(-2.0, abs=0.4)


def test_weights_keep_their_sign_and_the_prior_without_evidence() -> None:
    rows, outcomes = _synthetic(3000, 2)
    model = fit_logistic(
        rows, outcomes, ["a", "b", "c", "never"], Penalty(1.0, 1.0), {},
        {"never": 6.0, "b": 0.0},
    )  # fmt: skip
    assert model.weights["c"] == 0.0  # a risk weight never goes negative
    assert model.weights["never"] == 6.0  # a signal the history never shows keeps its weight
    assert abs(model.weights["b"]) < 0.2  # noise stays about at its prior
    assert model.weights["a"] > 3.0


def test_the_fitted_policy_is_the_model_and_stays_explainable() -> None:
    weights = dict.fromkeys(SIGNAL_IDS, 0.0) | {"port_out_request": 8.0, "short_tenure": 0.7}
    policy = fitted_policy(Policy(), Model(-4.2, weights), "cw-fit-test")
    assert policy.model == "cw-fit-test" and policy.score.intercept == -4.2
    assert policy.signals.short_tenure.enabled and not policy.signals.high_bill.enabled
    assert policy.playbook == Policy().playbook and policy.levels == Policy().levels
    assert policy_from_dict(orjson.loads(policy_document(policy))) == policy
    clamped = fitted_policy(Policy(), Model(-40.0, weights), "cw-fit-test")
    assert clamped.score.intercept == -20.0  # within what the policy accepts


def test_snapshots_are_weekly_and_end_at_at() -> None:
    assert snapshot_moments(AT, 3, 7) == [AT - 14 * DAY_S, AT - 7 * DAY_S, AT]
    signs = weight_signs()
    assert set(signs) == set(SIGNAL_IDS) and set(signs.values()) == {1}
    assert dataclasses.is_dataclass(Penalty())
