"""Following care tasks up: did the customer stay or leave within the follow-up window?

Counted separately for tasks drawn into the holdout (control) group, these results give each
action's save rate as uplift over doing nothing, live, without waiting for a study."""

from __future__ import annotations

from dataclasses import dataclass

from streams.state import CustomerState
from topics.records import CareTask


@dataclass(frozen=True, slots=True)
class TaskResult:
    action: str
    control: bool
    result: str  # retained | churned


def follow_up(state: CustomerState, task: CareTask) -> None:
    state.followups.append((task.action, task.created_at, task.control))


def settle_retained(state: CustomerState, now: int, window_s: int) -> list[TaskResult]:
    """Tasks whose window closed with the customer still here: retained."""
    done = [f for f in state.followups if f[1] + window_s <= now]
    if done:
        state.followups = [f for f in state.followups if f[1] + window_s > now]
    return [TaskResult(action, control, "retained") for action, _, control in done]


def settle_churned(state: CustomerState) -> list[TaskResult]:
    """The customer left: every task still being followed up failed to keep them."""
    done, state.followups = state.followups, []
    return [TaskResult(action, control, "churned") for action, _, control in done]
