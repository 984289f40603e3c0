"""One evaluation of one customer as of one moment: signals -> score -> level change ->
alert -> care task. Deterministic: the same state and moment give the same ids."""

from __future__ import annotations

from dataclasses import dataclass, replace
from hashlib import sha256

from config.policy import ContactPolicy, Policy
from streams.calendar import Calendar
from streams.levels import next_level
from streams.lifecycle import monthly_spend, stage, tenure_days, value_tier
from streams.locale import localise_detail
from streams.playbook import candidate_tasks, task_expires_at
from streams.population import Population
from streams.protective import protective_reasons
from streams.reasons import alert_category
from streams.scorecard import Scored, score_signals
from streams.signals import Signal, all_signals
from streams.state import (
    CALLS_IN,
    COMPETITOR,
    DATA_KB,
    DROPPED,
    FORWARDED,
    SMS_OUT,
    VOICE_OUT_S,
    CustomerState,
)
from streams.view import CustomerView
from topics.records import Alert, CareTask

CHURN_KINDS = frozenset({"port_out_completed", "deactivation"})


@dataclass(frozen=True, slots=True)
class ChurnObserved:
    """A customer left; `lead_s` is how long before it we first alerted (None: never)."""

    customer_id: str
    ts: int
    lead_s: int | None


@dataclass(slots=True)
class Evaluation:
    alert: Alert | None = None
    task: CareTask | None = None
    churn: ChurnObserved | None = None
    risk_changed: bool = False
    stale_task: bool = False  # the alert's task would have expired by `tasks_after`


def evaluate(
    state: CustomerState,
    as_of: int,
    last_day: int,
    policy: Policy,
    cal: Calendar,
    population: Population | None = None,
    tasks_after: int | None = None,
) -> Evaluation:
    """The customer as of `as_of`: a level change makes an alert, and an alert a care task
    unless its task would have expired by `tasks_after` (the wall clock of a worker reading a
    backfill: a task for a moment long past reaches nobody in time)."""
    view = CustomerView.of(state, as_of, last_day, cal, population)
    churn_ts = churned_at(view)
    if churn_ts is not None:
        # An evaluation too: a state recovered ahead of its clock must not be evaluated again
        # as of an earlier moment, before its churn (see PartitionEngine._evaluate).
        state.last_eval_ts = as_of
        return _observe_churn(state, churn_ts)
    state.churned_ts = None  # a returning customer (activation after churn) starts afresh
    if not view.usage_began():
        # A backfill's facts reach back before its CDRs: nothing is said of a time whose usage
        # is unknown (it is not silence, and a complaint alone has no usage to weigh against).
        state.last_eval_ts = as_of
        return Evaluation()
    signals = all_signals(view, policy.signals)
    english = score_signals(signals, policy.score, protective_reasons(view, policy.protective))
    scored = in_locale(english, policy.locale)
    previous = risk_view(state)
    state.stage = stage(view, signals)
    state.value_tier = value_tier(monthly_spend(view), policy.tiers)
    state.score = scored.score
    # In English: the serving store shows them in every language the console speaks.
    state.reasons = [r.to_wire() for r in english.reasons]
    state.last_eval_ts = as_of
    result = Evaluation(alert=_level_change(state, view, scored, signals, policy))
    if result.alert is not None and _expired_by(result.alert, tasks_after, policy):
        result.stale_task = next(candidate_tasks(result.alert, policy), None) is not None
    elif result.alert is not None:
        result.task = next(
            (
                task
                for task in candidate_tasks(result.alert, policy)
                if _contact(state, task, as_of, policy.contact) is not None
            ),
            None,
        )
    result.risk_changed = previous != risk_view(state)
    if result.risk_changed:
        state.risk_ts = as_of
    return result


def _level_change(
    state: CustomerState, view: CustomerView, scored: Scored, signals: list[Signal], policy: Policy
) -> Alert | None:
    move = next_level(state.level, scored.score, view.as_of, state.last_alert_ts, policy.levels)
    if move is None:
        return None
    state.level = move.level
    if move.status is None:
        return None
    category = alert_category(
        move.status, scored.reasons, state.alert_category, policy.reason_category
    )
    alert = Alert(
        alert_id=alert_id(state.customer_id, view.as_of, move.status, move.level, policy.model),
        customer_id=state.customer_id,
        status=move.status,
        level=move.previous if move.status == "cleared" else move.level,
        previous_level=move.previous,
        score=scored.score,
        ts=view.as_of,
        stage=state.stage,
        value_tier=state.value_tier,
        reasons=scored.reasons,
        window=window_summary(view, signals),
        model=policy.model,
        reason_category=category,
    )
    state.last_alert_id, state.last_alert_ts = alert.alert_id, view.as_of
    state.alert_category = category
    state.first_alert_ts = None if move.status == "cleared" else state.first_alert_ts or view.as_of
    return alert


def _expired_by(alert: Alert, tasks_after: int | None, policy: Policy) -> bool:
    return tasks_after is not None and task_expires_at(alert, policy) <= tasks_after


def _contact(
    state: CustomerState, task: CareTask | None, as_of: int, contact: ContactPolicy
) -> CareTask | None:
    """Contact policy: one open task per action, nothing while an action is suppressed after
    a decline, and no more than the cap of tasks in any 30 days."""
    if task is None or state.suppressed.get(task.action, 0) > as_of:
        return None
    if state.open_tasks.get(task.action, (0, ""))[0] > as_of:
        return None
    recent = [t for t in state.task_times if t > as_of - 30 * 86_400]
    if len(recent) >= contact.max_tasks_per_30_days:
        return None
    state.open_tasks[task.action] = (task.expires_at, task.task_id)
    state.task_times = [*recent, as_of]  # older times can never count again
    return task


def risk_view(state: CustomerState) -> tuple[str, float, str, str]:
    """What the serving store shows of a customer: a change here is worth a write."""
    return state.level, round(state.score, 3), state.stage, state.value_tier


def churned_at(view: CustomerView) -> int | None:
    """When the customer left, as of the view: the last churn after the last activation."""
    since = view.profile.get("activated_ts", 0)
    churns = [ts for ts, _, _ in view.facts(CHURN_KINDS, 3650) if ts >= since]
    return churns[-1] if churns else None


def _observe_churn(state: CustomerState, churn_ts: int) -> Evaluation:
    if state.churned_ts == churn_ts:
        return Evaluation()
    lead = None if state.first_alert_ts is None else churn_ts - state.first_alert_ts
    state.churned_ts = churn_ts
    state.level, state.score, state.reasons = "none", 0.0, []
    return Evaluation(churn=ChurnObserved(state.customer_id, churn_ts, lead), risk_changed=True)


def alert_id(customer_id: str, as_of: int, status: str, level: str, model: str) -> str:
    return "A" + sha256(f"{customer_id}|{as_of}|{status}|{level}|{model}".encode()).hexdigest()[:24]


def window_summary(view: CustomerView, signals: list[Signal]) -> dict[str, float]:
    """The figures behind the score, for the alert's `window`."""
    tenure = tenure_days(view)
    summary: dict[str, float] = {
        "voice_out_min_7d": round(view.recent_total(VOICE_OUT_S, 7) / 60.0, 1),
        "voice_out_min_28d_before": round(
            view.total(VOICE_OUT_S, view.last_day - 34, view.last_day - 7) / 60.0, 1
        ),
        "sms_out_7d": view.recent_total(SMS_OUT, 7),
        "data_mb_7d": round(view.recent_total(DATA_KB, 7) / 1024.0, 1),
        "competitor_contacts_14d": view.recent_total(COMPETITOR, 14),
        "calls_in_7d": view.recent_total(CALLS_IN, 7),
        "forwarded_7d": view.recent_total(FORWARDED, 7),
        "dropped_7d": view.recent_total(DROPPED, 7),
        "idle_days": view.idle_streak(),
        "monthly_spend": round(monthly_spend(view), 2),
        "signals": len(signals),
    }
    if tenure is not None:
        summary["tenure_days"] = tenure
    return summary


def in_locale(scored: Scored, locale: str) -> Scored:
    """The reasons' detail sentences in the policy's locale (alerts, tasks and the store)."""
    if locale == "en":
        return scored
    reasons = tuple(replace(r, detail=localise_detail(r.detail, locale)) for r in scored.reasons)
    return replace(scored, reasons=reasons)
