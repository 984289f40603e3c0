"""`churnwatch evaluate`: detection quality on labelled history.

The events file runs through the offline engines (`streams.offline.OfflineRunner`, the oracle
the live worker is checked against) up to `--at`, so the alerts counted are the worker's. Then
every customer is scored as of `--at` (`streams.scoring.snapshot`: the live evaluation, without
its side effects) and compared with the labels:

- customers: labelled customers seen by `--at` and not gone by then (churned per the events,
  or per a churn date before `--at`'s day);
- positives: those whose churn date falls within `--horizon-days` from `--at`'s day;
- AUC and top-decile lift of the score; precision and recall of each alert level (the level the
  score reaches as of `--at`, that level or above);
- over the replay up to `--at`, for the labelled customers: alerts raised or escalated per 1,000
  customers per day (each customer counted from its first event to its churn or `--at`), and
  for churners caught before they left, the lead time from the first alert of the episode to
  the churn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from churnwatch.evaluation_data import (
    ReplayStats,
    customer_states,
    latest_event_time,
    new_runner,
    replay_with_snapshots,
    timed_records,
)
from churnwatch.evaluation_metrics import (
    ALERT_LEVELS,
    auc,
    level_rank,
    lift,
    median,
    precision_recall,
)
from config.policy import Policy
from streams.calendar import DAY_S, Calendar
from streams.offline import OfflineResult, OfflineRunner
from streams.scoring import Snapshot, snapshot, snapshot_level
from topics.records import Alert

ALERTING = frozenset({"raised", "escalated"})
SUMMARY_KEYS = (
    "customers",
    "positives",
    "auc",
    "lift_top_decile",
    "precision",
    "recall",
    "alerts_per_1000_per_day",
    "median_lead_days",
)


@dataclass(frozen=True, slots=True)
class CustomerOutcome:
    """One evaluated customer: the score as of `--at`, its level, and whether it churned within
    the horizon."""

    customer_id: str
    score: float
    level: str
    positive: bool
    top_signal: str | None


@dataclass(slots=True)
class Seen:
    """What the replay showed of a customer by `--at`."""

    shot: Snapshot
    first_day: int | None


@dataclass(slots=True)
class EvaluationResult:
    at: int
    horizon_days: int
    model: str
    outcomes: list[CustomerOutcome] = field(default_factory=list)
    offline: OfflineResult = field(default_factory=OfflineResult)  # the whole replay's output
    alerts: int = 0  # raised or escalated, labelled customers
    customer_days: float = 0.0  # from each customer's first day to its churn or --at
    lead_days: list[float] = field(default_factory=list)  # caught churners
    churners: int = 0  # labelled customers who churned by --at (per the events or the labels)
    gone: int = 0  # labelled, but gone by --at
    not_seen: int = 0  # labelled, no event by --at
    unlabelled: int = 0  # seen, not in the labels
    stats: ReplayStats = field(default_factory=ReplayStats)

    @property
    def scores(self) -> list[float]:
        return [o.score for o in self.outcomes]

    @property
    def positives(self) -> list[bool]:
        return [o.positive for o in self.outcomes]

    def summary(self) -> dict[str, Any]:
        """The `--json` object: exactly the contract's keys."""
        by_level = precision_recall([o.level for o in self.outcomes], self.positives)
        per_day = self.alerts / self.customer_days * 1000 if self.customer_days else None
        return {
            "customers": len(self.outcomes),
            "positives": sum(self.positives),
            "auc": _round(auc(self.scores, self.positives)),
            "lift_top_decile": _round(lift(self.scores, self.positives, 0.1)),
            "precision": {lv: _round(by_level[lv][0]) for lv in ALERT_LEVELS},
            "recall": {lv: _round(by_level[lv][1]) for lv in ALERT_LEVELS},
            "alerts_per_1000_per_day": _round(per_day),
            "median_lead_days": _round(median(self.lead_days)),
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def evaluate_history(
    events: str | Path,
    labels: dict[str, date | None],
    policy: Policy,
    cal: Calendar,
    at: int | None = None,
    horizon_days: int = 30,
    partitions: int = 8,
) -> EvaluationResult:
    """Replay `events` up to `at` (default: the latest event time) and score every labelled
    customer as of it."""
    moment = latest_event_time(events) if at is None else at
    runner = new_runner(policy, cal, partitions)
    seen: dict[str, Seen] = {}

    def look(as_of: int, engines: OfflineRunner) -> None:
        for state, population in customer_states(engines):
            shot = snapshot(state, as_of, policy, cal, population)
            seen[state.customer_id] = Seen(shot, state.first_day)

    stats = replay_with_snapshots(timed_records(events), runner, [moment], look)
    result = EvaluationResult(moment, horizon_days, policy.model, offline=runner.result)
    result.stats = stats
    _classify(result, seen, labels, policy, cal)
    _over_the_replay(result, seen, labels, cal)
    return result


def _classify(
    result: EvaluationResult,
    seen: dict[str, Seen],
    labels: dict[str, date | None],
    policy: Policy,
    cal: Calendar,
) -> None:
    day_at = cal.day(result.at)
    result.unlabelled = sum(1 for c in seen if c not in labels)
    for customer_id in sorted(labels):
        found = seen.get(customer_id)
        if found is None:
            result.not_seen += 1
            continue
        churn = labels[customer_id]
        churn_day = cal.day_of_date(churn) if churn is not None else None
        if found.shot.churned_ts is not None or (churn_day is not None and churn_day < day_at):
            result.gone += 1
            continue
        shot = found.shot
        reasons = shot.scored.reasons if shot.scored is not None else ()
        result.outcomes.append(
            CustomerOutcome(
                customer_id,
                shot.score,
                snapshot_level(shot, policy),
                churn_day is not None and churn_day < day_at + result.horizon_days,
                reasons[0].signal if reasons and reasons[0].contribution > 0 else None,
            )
        )


def _over_the_replay(
    result: EvaluationResult, seen: dict[str, Seen], labels: dict[str, date | None], cal: Calendar
) -> None:
    """Alert volume and lead times of the replay, over the labelled customers."""
    result.alerts = sum(
        1 for a in result.offline.alerts if a.status in ALERTING and a.customer_id in labels
    )
    result.customer_days = _customer_days(result.at, seen, labels, cal)
    episodes = episode_starts(result.offline.alerts)
    for customer_id, label in labels.items():
        churn_ts = _churned_by(result.at, seen.get(customer_id), label, cal)
        if churn_ts is None:
            continue
        result.churners += 1
        start = episode_start_before(episodes.get(customer_id, []), churn_ts)
        if start is not None:
            result.lead_days.append((churn_ts - start) / DAY_S)


def _customer_days(
    at: int, seen: dict[str, Seen], labels: dict[str, date | None], cal: Calendar
) -> float:
    """Days each labelled customer was with us in the replay: from its first day to its churn
    or `at`."""
    total = 0.0
    for customer_id, found in seen.items():
        if customer_id not in labels or found.first_day is None:
            continue
        end = found.shot.churned_ts if found.shot.churned_ts is not None else at
        total += max(0, end - cal.day_start(found.first_day)) / DAY_S
    return total


def _churned_by(at: int, found: Seen | None, label: date | None, cal: Calendar) -> int | None:
    """When a customer seen in the replay churned, if it did by `at`: per its churn event, or
    (when the events do not say) the start of its labelled churn date."""
    if found is None:
        return None
    if found.shot.churned_ts is not None:
        return found.shot.churned_ts
    if label is not None and cal.day_of_date(label) < cal.day(at):
        return cal.day_start(cal.day_of_date(label))
    return None


def episode_starts(alerts: list[Alert]) -> dict[str, list[tuple[int, int | None]]]:
    """Per customer, (time, start of the at-risk episode as of then) at every alert: an
    episode starts at its first alert and ends when the customer is cleared — as the state's
    `first_alert_ts` keeps it."""
    out: dict[str, list[tuple[int, int | None]]] = {}
    current: dict[str, int | None] = {}
    for alert in sorted(alerts, key=lambda a: (a.customer_id, a.ts)):
        start = current.get(alert.customer_id)
        start = None if alert.status == "cleared" else start if start is not None else alert.ts
        current[alert.customer_id] = start
        out.setdefault(alert.customer_id, []).append((alert.ts, start))
    return out


def episode_start_before(history: list[tuple[int, int | None]], churn_ts: int) -> int | None:
    """The start of the episode the customer was in when it churned (None: not alerted)."""
    start: int | None = None
    for ts, episode in history:
        if ts > churn_ts:
            break
        start = episode
    return start


def moment_text(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text_summary(result: EvaluationResult) -> str:
    """The human-readable summary printed without `--json`."""
    figures = result.summary()
    by_level = precision_recall([o.level for o in result.outcomes], result.positives)
    counts = {
        lv: sum(1 for o in result.outcomes if level_rank(o.level) >= level_rank(lv))
        for lv in ALERT_LEVELS
    }
    lines = [
        f"model {result.model}, scored as of {moment_text(result.at)}, "
        f"positives churn within {result.horizon_days} days",
        f"customers            {figures['customers']} ({figures['positives']} positives; "
        f"{result.gone} gone before, {result.not_seen} not seen yet, "
        f"{result.unlabelled} unlabelled ignored)",
        f"AUC                  {_fmt(figures['auc'], '.3f')}",
        f"top-decile lift      {_fmt(figures['lift_top_decile'], '.2f')}",
        "level      customers  precision  recall",
    ]
    for level in ALERT_LEVELS:
        precision, recall = by_level[level]
        lines.append(
            f"{level:<10} {counts[level]:>9}  {_fmt(precision, '.3f'):>9}  {_fmt(recall, '.3f'):>6}"
        )
    lines += [
        f"alerts per 1,000 customers per day  {_fmt(figures['alerts_per_1000_per_day'], '.2f')} "
        f"({result.alerts} raised or escalated over {result.customer_days:,.0f} customer-days)",
        f"median lead time     {_fmt(figures['median_lead_days'], '.1f')} days "
        f"({len(result.lead_days)} of {result.churners} churners alerted before leaving)",
    ]
    if figures["positives"] == 0:
        lines.append(
            "note: no customer churns within the horizon after --at; pass an earlier --at "
            "(the labels must reach --at plus the horizon)"
        )
    return "\n".join(lines)


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)
