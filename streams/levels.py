"""Alert levels with hysteresis and cooldown: escalations always emit, repeats of a level stay
quiet, and leaving a level needs the score to fall clearly below its line and some time."""

from __future__ import annotations

from dataclasses import dataclass

from config.policy import LEVELS, LevelPolicy
from streams.scorecard import level_of


@dataclass(frozen=True, slots=True)
class Transition:
    status: str | None  # raised | escalated | cleared, or None: a silent level change
    level: str  # the new level ("none" after a clear)
    previous: str


def rank(level: str) -> int:
    return LEVELS.index(level)


def line_of(level: str, levels: LevelPolicy) -> float:
    return {"medium": levels.medium, "high": levels.high, "critical": levels.critical}[level]


def next_level(
    current: str, score: float, as_of: int, last_alert_ts: int | None, levels: LevelPolicy
) -> Transition | None:
    """What the level becomes given a new score; None when nothing changes."""
    reached = level_of(score, levels)
    if rank(reached) > rank(current):
        return Transition("raised" if current == "none" else "escalated", reached, current)
    if current == "none" or score >= line_of(current, levels) - levels.clear_margin:
        return None
    cooling = last_alert_ts is not None and as_of - last_alert_ts < levels.cooldown_hours * 3600
    if cooling:
        return None
    lowered = _settled_level(score, levels)
    if lowered == "none":
        return Transition("cleared", "none", current)
    # Stepping down inside the at-risk levels is silent, so that a later rise escalates again.
    return Transition(None, lowered, current)


def _settled_level(score: float, levels: LevelPolicy) -> str:
    """The highest level whose line (minus the margin) the score still holds."""
    for level in ("critical", "high", "medium"):
        if score >= line_of(level, levels) - levels.clear_margin:
            return level
    return "none"
