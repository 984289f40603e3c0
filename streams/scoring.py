"""Scoring a customer's state as of a moment, without side effects: what `churnwatch evaluate`
and `churnwatch fit` look at.

`streams.evaluate.evaluate` is the live evaluation: it moves the customer's level, writes the
risk view and may raise an alert and a task. This module runs the same view, the same signals
and the same scorecard as of any moment and changes nothing, so the offline tools can look at
every customer on a date while the engines go on with the replay.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.policy import Policy
from streams.calendar import Calendar
from streams.evaluate import churned_at
from streams.population import Population
from streams.protective import protective_reasons
from streams.scorecard import Scored, level_of, score_signals
from streams.signals import Signal, all_signals
from streams.state import CustomerState
from streams.view import CustomerView
from topics.records import Reason


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One customer as of one moment: gone (`churned_ts`), or scored with the signals that
    fired."""

    customer_id: str
    as_of: int
    churned_ts: int | None
    signals: tuple[Signal, ...] = ()
    scored: Scored | None = None
    protection: tuple[Reason, ...] = ()  # protective factors, already weighed (negative)

    @property
    def score(self) -> float:
        return self.scored.score if self.scored is not None else 0.0

    @property
    def protection_points(self) -> float:
        """The protective factors' total contribution (log-odds points, <= 0)."""
        return sum(r.contribution for r in self.protection)


def view_as_of(
    state: CustomerState, as_of: int, cal: Calendar, population: Population | None = None
) -> CustomerView:
    """The view an evaluation at `as_of` sees: complete days before it, facts up to it."""
    return CustomerView.of(state, as_of, cal.day(as_of) - 1, cal, population)


def snapshot(
    state: CustomerState,
    as_of: int,
    policy: Policy,
    cal: Calendar,
    population: Population | None = None,
) -> Snapshot:
    """The customer's score as of `as_of` under `policy`, exactly as an evaluation at that
    moment would compute it — without moving its level or touching its state."""
    view = view_as_of(state, as_of, cal, population)
    gone = churned_at(view)
    if gone is not None:
        return Snapshot(state.customer_id, as_of, gone)
    signals = all_signals(view, policy.signals)
    protection = tuple(protective_reasons(view, policy.protective))
    scored = score_signals(signals, policy.score, protection)
    return Snapshot(state.customer_id, as_of, None, tuple(signals), scored, protection)


def snapshot_level(shot: Snapshot, policy: Policy) -> str:
    """The level the snapshot's score reaches (without the hysteresis of a live level)."""
    return level_of(shot.score, policy.levels) if shot.scored is not None else "none"
