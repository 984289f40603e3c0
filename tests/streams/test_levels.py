"""Alert levels: escalations always emit, repeats stay quiet, and leaving a level takes a
score clearly below its line and a cooldown."""

from __future__ import annotations

from config.policy import LevelPolicy
from streams.levels import Transition, next_level

LEVELS = LevelPolicy()  # medium 0.5, high 0.7, critical 0.9, margin 0.1, cooldown 72 h
HOUR = 3600
T0 = 1_000_000_000
COOLED = T0 + 73 * HOUR  # past the 72 h cooldown after an alert at T0


def _walk(scores, start="none", t0=T0, step_h=24):
    """Feed a run of scores, one a day, as the engine does; the emitted statuses, in order."""
    level, last_alert, out = start, None, []
    for i, score in enumerate(scores):
        now = t0 + i * step_h * HOUR
        move = next_level(level, score, now, last_alert, LEVELS)
        if move is None:
            continue
        level = move.level
        if move.status is not None:
            out.append((move.status, move.level if move.status != "cleared" else move.previous))
            last_alert = now
    return out, level


def test_crossing_the_medium_line_raises():
    assert next_level("none", 0.55, T0, None, LEVELS) == Transition("raised", "medium", "none")


def test_a_jump_straight_to_critical_is_raised_at_critical():
    assert next_level("none", 0.95, T0, None, LEVELS) == Transition("raised", "critical", "none")


def test_below_the_line_nothing_happens():
    assert next_level("none", 0.49, T0, None, LEVELS) is None


def test_escalation_always_emits_even_inside_the_cooldown():
    move = next_level("medium", 0.75, T0 + HOUR, T0, LEVELS)
    assert move == Transition("escalated", "high", "medium")
    move = next_level("high", 0.95, T0 + 2 * HOUR, T0 + HOUR, LEVELS)
    assert move == Transition("escalated", "critical", "high")


def test_the_same_level_again_emits_nothing():
    assert next_level("medium", 0.55, COOLED, T0, LEVELS) is None
    assert next_level("high", 0.8, COOLED, T0, LEVELS) is None
    assert next_level("critical", 0.99, COOLED, T0, LEVELS) is None


def test_hovering_around_the_medium_line_does_not_flap():
    emitted, level = _walk([0.51, 0.49, 0.52, 0.45, 0.5, 0.41, 0.55])
    assert emitted == [("raised", "medium")]
    assert level == "medium"


def test_hovering_around_the_high_line_escalates_once():
    emitted, level = _walk([0.55, 0.71, 0.69, 0.72, 0.65, 0.7])
    assert emitted == [("raised", "medium"), ("escalated", "high")]
    assert level == "high"


def test_clearing_needs_the_score_below_line_minus_margin():
    assert next_level("medium", 0.41, COOLED, T0, LEVELS) is None  # 0.41 >= 0.5 - 0.1
    move = next_level("medium", 0.39, COOLED, T0, LEVELS)
    assert move == Transition("cleared", "none", "medium")


def test_clearing_needs_the_cooldown_to_have_elapsed():
    assert next_level("medium", 0.1, T0 + 71 * HOUR, T0, LEVELS) is None
    assert next_level("medium", 0.1, T0 + 72 * HOUR, T0, LEVELS) == Transition(
        "cleared", "none", "medium"
    )


def test_a_high_customer_whose_score_collapses_is_cleared_from_high():
    assert next_level("high", 0.2, COOLED, T0, LEVELS) == Transition("cleared", "none", "high")


def test_stepping_down_inside_the_at_risk_levels_is_silent():
    move = next_level("critical", 0.65, COOLED, T0, LEVELS)
    assert move == Transition(None, "high", "critical")  # 0.65 holds high (0.7 - 0.1)
    move = next_level("critical", 0.45, COOLED, T0, LEVELS)
    assert move == Transition(None, "medium", "critical")


def test_stepping_down_waits_for_the_cooldown_too():
    assert next_level("critical", 0.65, T0 + HOUR, T0, LEVELS) is None


def test_silent_step_down_then_a_new_rise_escalates_again():
    # critical on day 0, falls to 0.6 for days, rises back: the rise is news again.
    emitted, level = _walk([0.95, 0.6, 0.6, 0.6, 0.6, 0.95])
    assert emitted == [("raised", "critical"), ("escalated", "critical")]
    assert level == "critical"


def test_after_a_clear_a_new_rise_is_raised_again():
    emitted, _ = _walk([0.55, 0.3, 0.3, 0.3, 0.3, 0.55])
    assert emitted == [("raised", "medium"), ("cleared", "medium"), ("raised", "medium")]
