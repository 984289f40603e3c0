"""`churnwatch fit`: learn the scorecard's weights from labelled history.

The events run through the offline engines (the same path as live) and, at weekly snapshots
ending at `--at`, every labelled customer still with us is scored with every signal of the
catalogue switched on — the retention signals and the level features (`streams.features`) —
and labelled by whether it churned within `--horizon-days`. A regularised logistic regression
(L2, coordinate descent, pure Python) learns an intercept and one weight per signal: exactly
the scorecard's form, `score = 1 / (1 + exp(-(intercept + sum(weight * strength))))`, so every
contribution of a fitted alert is still a named signal with its human detail.

- Weights keep the sign the catalogue gives them (a warning never lowers the risk): a signal
  that does not help gets 0, and a level feature with weight 0 stays switched off.
- Explained signals no longer fold into their explainer (`score.subsumes` is emptied): the
  regression already learned what two signals firing together are worth, and the scorecard
  must compute exactly the model that was fitted.
- Cross-validated AUC is measured with folds by customer (a customer's snapshots are never
  split between training and testing).
- The policy written is the policy in force (`--policy`, else `CHURNWATCH_CONFIG`, else the
  defaults) with the fitted weights and intercept and a new `model` id; it is complete (every
  key written) and validated by `config.policy.policy_from_dict` before it is written.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from hashlib import sha256
from pathlib import Path

import orjson

from churnwatch.evaluation_data import (
    ReplayStats,
    customer_states,
    new_runner,
    replay_with_snapshots,
    timed_records,
)
from churnwatch.evaluation_metrics import auc
from config.policy import SIGNAL_IDS, Policy, policy_from_dict
from streams.calendar import DAY_S, Calendar
from streams.features import FEATURE_IDS, is_enabled
from streams.offline import OfflineRunner
from streams.scorecard import score_signals
from streams.scoring import snapshot

MAX_STEP = 2.0  # log-odds points per coordinate step: keeps Newton steps from overshooting
INTERCEPT_RANGE = (-20.0, 20.0)  # what the policy accepts


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled customer at one snapshot: the strength of every signal that fired."""

    customer_id: str
    as_of: int
    strengths: dict[str, float]
    positive: bool
    base_score: float  # what the policy in force scores it
    offset: float = 0.0  # protective factors' points: part of the score, not re-learned


@dataclass(frozen=True, slots=True)
class Penalty:
    """Elastic-net strengths, in log-likelihood units: `l1` * |w - prior| + `l2` / 2 *
    (w - prior)^2 per weight."""

    l1: float = 1.0
    l2: float = 1.0


@dataclass(frozen=True, slots=True)
class Model:
    intercept: float
    weights: dict[str, float]

    def logit(self, strengths: Mapping[str, float], offset: float = 0.0) -> float:
        return (
            self.intercept
            + offset
            + sum(self.weights.get(k, 0.0) * v for k, v in strengths.items())
        )

    def score(self, strengths: Mapping[str, float], offset: float = 0.0) -> float:
        return sigmoid(self.logit(strengths, offset))


@dataclass(slots=True)
class FitResult:
    model: Model
    policy: Policy
    examples: list[Example] = field(default_factory=list)
    moments: list[int] = field(default_factory=list)
    cv_auc: float | None = None
    base_auc: float | None = None  # the policy in force on the same examples
    prior: dict[str, float] = field(default_factory=dict)  # the weights before the fit
    stats: ReplayStats = field(default_factory=ReplayStats)


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# --- the examples ----------------------------------------------------------------------------


def with_level_features(policy: Policy) -> Policy:
    """`policy` with every level feature switched on: what the regression learns from."""
    sections = {
        name: dataclasses.replace(getattr(policy.signals, name), enabled=True)
        for name in FEATURE_IDS
    }
    return dataclasses.replace(policy, signals=dataclasses.replace(policy.signals, **sections))


def snapshot_moments(at: int, snapshots: int, every_days: int) -> list[int]:
    """`snapshots` moments `every_days` apart, the last at `at`, oldest first."""
    return [at - k * every_days * DAY_S for k in range(snapshots - 1, -1, -1)]


def build_examples(
    events: str | Path,
    labels: Mapping[str, date | None],
    base: Policy,
    cal: Calendar,
    moments: Sequence[int],
    horizon_days: int,
    partitions: int = 8,
) -> tuple[list[Example], ReplayStats]:
    """Replay `events` and take, at each moment, every labelled customer still with us."""
    learn = with_level_features(base)
    examples: list[Example] = []

    def look(as_of: int, engines: OfflineRunner) -> None:
        day_at = cal.day(as_of)
        for state, population in customer_states(engines):
            if state.customer_id not in labels:
                continue
            churn = labels[state.customer_id]
            churn_day = cal.day_of_date(churn) if churn is not None else None
            if churn_day is not None and churn_day < day_at:
                continue
            shot = snapshot(state, as_of, learn, cal, population)
            if shot.churned_ts is not None:
                continue
            in_force = [s for s in shot.signals if is_enabled(s.id, base.signals)]
            examples.append(
                Example(
                    state.customer_id,
                    as_of,
                    {s.id: s.strength for s in shot.signals},
                    churn_day is not None and churn_day < day_at + horizon_days,
                    score_signals(in_force, base.score, shot.protection).score,
                    shot.protection_points,
                )
            )

    runner = new_runner(base, cal, partitions)
    stats = replay_with_snapshots(timed_records(events), runner, moments, look)
    return examples, stats


# --- the regression --------------------------------------------------------------------------


def weight_signs() -> dict[str, int]:
    """+1: the weight may only add risk; -1: only lower it. From the catalogue's default
    weights; level features (default 0) are risks."""
    defaults = Policy().score.weights
    return {name: -1 if defaults.get(name, 0.0) < 0 else 1 for name in SIGNAL_IDS}


def fit_logistic(
    rows: Sequence[Mapping[str, float]],
    outcomes: Sequence[bool],
    features: Sequence[str],
    penalty: Penalty,
    signs: Mapping[str, int],
    prior: Mapping[str, float] | None = None,
    offsets: Sequence[float] | None = None,
    max_passes: int = 400,
    tolerance: float = 1e-6,
) -> Model:
    """Regularised logistic regression (elastic net) by cyclic coordinate descent: a Newton
    step per coordinate, soft-thresholded for the L1 part and clipped to the weight's sign.
    The penalty pulls each weight towards its `prior` (default 0): a signal the history seldom
    shows keeps about the weight it had, and a feature that does not clearly help stays at
    exactly its prior (0: switched off). `offsets` are fixed log-odds per row (the protective
    factors, which the policy weighs itself). The intercept is not penalised."""
    prior = prior or {}
    n = len(rows)
    if n == 0:
        raise ValueError("no examples to learn from")
    y = [1.0 if o else 0.0 for o in outcomes]
    columns: dict[str, list[tuple[int, float]]] = {f: [] for f in features}
    for i, row in enumerate(rows):
        for name, x in row.items():
            if name in columns and x:
                columns[name].append((i, x))
    rate = min(max(sum(y) / n, 1e-6), 1 - 1e-6)
    intercept = math.log(rate / (1 - rate))
    eta = [intercept + o for o in offsets] if offsets is not None else [intercept] * n
    weights = {f: _signed(prior.get(f, 0.0), signs.get(f, 1)) for f in features}
    for name, weight in weights.items():
        for i, x in columns[name]:
            eta[i] += weight * x
    for _ in range(max_passes):
        step = _intercept_step(eta, y)
        intercept += step
        eta = [e + step for e in eta]
        largest = abs(step)
        for name in features:
            change = _coordinate_step(
                columns[name], weights[name], prior.get(name, 0.0), eta, y, penalty,
                signs.get(name, 1),
            )  # fmt: skip
            if change:
                weights[name] += change
                for i, x in columns[name]:
                    eta[i] += change * x
                largest = max(largest, abs(change))
        if largest < tolerance:
            break
    return Model(intercept, weights)


def _intercept_step(eta: Sequence[float], y: Sequence[float]) -> float:
    gradient = curvature = 0.0
    for e, target in zip(eta, y, strict=True):
        p = sigmoid(e)
        gradient += p - target
        curvature += p * (1 - p)
    return _clip(-gradient / max(curvature, 1e-9))


def _coordinate_step(
    column: Sequence[tuple[int, float]],
    weight: float,
    prior: float,
    eta: Sequence[float],
    y: Sequence[float],
    penalty: Penalty,
    sign: int,
) -> float:
    gradient, curvature = penalty.l2 * (weight - prior), penalty.l2
    for i, x in column:
        p = sigmoid(eta[i])
        gradient += x * (p - y[i])
        curvature += x * x * p * (1 - p)
    curvature = max(curvature, 1e-9)
    target = weight - gradient / curvature - prior
    shrunk = math.copysign(max(0.0, abs(target) - penalty.l1 / curvature), target)
    return _signed(weight + _clip(prior + shrunk - weight), sign) - weight


def _signed(weight: float, sign: int) -> float:
    return max(0.0, weight) if sign > 0 else min(0.0, weight)


def _clip(step: float) -> float:
    return max(-MAX_STEP, min(MAX_STEP, step))


def fold_of(customer_id: str, folds: int) -> int:
    """A customer's cross-validation fold: stable, whatever the order of the examples."""
    return int.from_bytes(sha256(customer_id.encode()).digest()[:8], "big") % folds


def cross_validated_auc(
    examples: Sequence[Example],
    features: Sequence[str],
    penalty: Penalty,
    signs: Mapping[str, int],
    prior: Mapping[str, float],
    folds: int = 5,
) -> float | None:
    """Pooled out-of-fold AUC, folds by customer."""
    scores: list[float] = []
    outcomes: list[bool] = []
    for k in range(folds):
        train = [e for e in examples if fold_of(e.customer_id, folds) != k]
        test = [e for e in examples if fold_of(e.customer_id, folds) == k]
        if not test or not any(e.positive for e in train):
            continue
        model = fit_logistic(
            [e.strengths for e in train], [e.positive for e in train], features, penalty, signs,
            prior, [e.offset for e in train],
        )  # fmt: skip
        scores += [model.logit(e.strengths, e.offset) for e in test]
        outcomes += [e.positive for e in test]
    return auc(scores, outcomes)


# --- the policy ------------------------------------------------------------------------------


def fitted_policy(base: Policy, model: Model, model_id: str) -> Policy:
    """`base` with the fitted scorecard: weights, intercept, no folding of explained signals,
    level features switched on where they weigh something, and the new model id."""
    weights = {name: round(model.weights.get(name, 0.0), 3) for name in SIGNAL_IDS}
    low, high = INTERCEPT_RANGE
    score = dataclasses.replace(
        base.score,
        intercept=round(min(high, max(low, model.intercept)), 3),
        weights=weights,
        subsumes={lead: () for lead in base.score.subsumes},
    )
    sections = {
        name: dataclasses.replace(getattr(base.signals, name), enabled=weights[name] > 0)
        for name in FEATURE_IDS
    }
    signals = dataclasses.replace(base.signals, **sections)
    return dataclasses.replace(base, model=model_id, score=score, signals=signals)


def new_model_id(model: Model, at: int, cal: Calendar) -> str:
    """`cw-fit-YYYYMMDD-xxxxxxxx`: the snapshot date and a digest of the fitted numbers, so
    the same history and settings give the same id and any other fit a different one."""
    numbers = orjson.dumps(
        [round(model.intercept, 3), sorted((k, round(v, 3)) for k, v in model.weights.items())]
    )
    day = cal.to_date(cal.day(at)).strftime("%Y%m%d")
    return f"cw-fit-{day}-{sha256(numbers).hexdigest()[:8]}"


def policy_document(policy: Policy) -> bytes:
    """The complete policy as a `CHURNWATCH_CONFIG` file; checked to load back unchanged."""
    document = policy.to_dict()
    if policy_from_dict(document) != policy:
        raise ValueError("the fitted policy does not load back as written")  # pragma: no cover
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def fit_history(
    events: str | Path,
    labels: Mapping[str, date | None],
    base: Policy,
    cal: Calendar,
    at: int,
    horizon_days: int = 30,
    snapshots: int = 4,
    every_days: int = 7,
    penalty: Penalty = Penalty(),
    folds: int = 5,
    partitions: int = 8,
) -> FitResult:
    """Learn the scorecard from `events` and `labels`; raises ValueError when the history has
    no positive or no negative example to learn from."""
    moments = snapshot_moments(at, snapshots, every_days)
    examples, stats = build_examples(events, labels, base, cal, moments, horizon_days, partitions)
    positives = sum(1 for e in examples if e.positive)
    if positives == 0 or positives == len(examples):
        raise ValueError(
            f"{len(examples)} examples, {positives} positive: nothing to learn; --at must leave "
            f"{horizon_days} days of labelled history after it, with churners in them"
        )
    signs = weight_signs()
    features = list(SIGNAL_IDS)
    prior = base.score.weights
    model = fit_logistic(
        [e.strengths for e in examples], [e.positive for e in examples], features, penalty,
        signs, prior, [e.offset for e in examples],
    )  # fmt: skip
    policy = fitted_policy(base, model, new_model_id(model, at, cal))
    result = FitResult(model, policy, examples, moments, stats=stats, prior=dict(prior))
    result.cv_auc = cross_validated_auc(examples, features, penalty, signs, prior, folds)
    result.base_auc = auc([e.base_score for e in examples], [e.positive for e in examples])
    return result


def fit_summary(result: FitResult, cal: Calendar) -> str:
    """What `churnwatch fit` prints: the new model, its cross-validated AUC against the policy
    in force on the same examples, and every weight that moved."""
    examples = result.examples
    positives = sum(1 for e in examples if e.positive)
    first, last = (
        cal.to_date(cal.day(m)).isoformat() for m in (result.moments[0], result.moments[-1])
    )
    lines = [
        f"model {result.policy.model}: {len(examples)} examples ({positives} positive) from "
        f"{len(result.moments)} snapshots, {first} to {last}",
        f"cross-validated AUC {_fmt(result.cv_auc)} (folds by customer); the policy in force "
        f"scores the same examples at AUC {_fmt(result.base_auc)}",
        f"intercept {result.policy.score.intercept:.3f}",
        "signal                 weight  (before)  fired in",
    ]
    before = result.prior
    fired = {name: sum(1 for e in examples if name in e.strengths) for name in SIGNAL_IDS}
    for name in SIGNAL_IDS:
        weight = result.policy.score.weights[name]
        lines.append(
            f"{name:<22} {weight:>6.2f}  ({before.get(name, 0.0):>6.2f})  {fired[name]:>8}"
        )
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
