"""The explainable scorecard: logistic over weighted signal strengths.

Each reason's `contribution` is its log-odds points (weight x strength): they add up, with the
intercept, to the logit of the score, so a retention agent can see how much each reason weighs.
Protective factors (switching costs, `streams.protective`) come in already weighed, with
negative contributions: they lower the score and, highest contribution first, come last.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from config.policy import LevelPolicy, ScorePolicy
from streams.signals import Signal
from topics.records import Reason


@dataclass(frozen=True, slots=True)
class Scored:
    score: float
    reasons: tuple[Reason, ...]  # highest contribution first


def score_signals(
    signals: list[Signal], policy: ScorePolicy, protection: Sequence[Reason] = ()
) -> Scored:
    """Warning signals weighed by policy (explained ones folded into their explainer), plus the
    protective reasons as given (negative contributions, see `streams.protective`)."""
    reasons = [
        Reason(s.id, policy.weights.get(s.id, 0.0) * s.strength, s.value, s.detail) for s in signals
    ]
    reasons = subsume(reasons, policy.subsumes)
    reasons.extend(protection)
    logit = policy.intercept + sum(r.contribution for r in reasons)
    reasons.sort(key=lambda r: (-r.contribution, r.signal))
    return Scored(1.0 / (1.0 + math.exp(-logit)), tuple(reasons))


def subsume(reasons: list[Reason], rules: dict[str, tuple[str, ...]]) -> list[Reason]:
    """Fold explained reasons into the reason that explains them, keeping the larger weight:
    a silent customer's usage is also down, but that is one fact, told as silence."""
    by_id = {r.signal: r for r in reasons}
    for lead, explained in rules.items():
        if lead not in by_id:
            continue
        for other in explained:
            folded = by_id.pop(other, None)
            if folded is not None and folded.contribution > by_id[lead].contribution:
                kept = by_id[lead]
                by_id[lead] = Reason(lead, folded.contribution, kept.value, kept.detail)
    return list(by_id.values())


def level_of(score: float, levels: LevelPolicy) -> str:
    """The level a score reaches, without hysteresis."""
    if score >= levels.critical:
        return "critical"
    if score >= levels.high:
        return "high"
    if score >= levels.medium:
        return "medium"
    return "none"
