"""What the console shows beyond current risk, kept in the Redis serving store beside it: each
customer's alert history, its care tasks with their outcomes, and one queue of open tasks per
channel. Written after a batch's outputs are on the broker, best effort (a failed write costs
history, never the stream: `churnwatch_redis_failures_total` counts it).

Every write is idempotent, so a replay after a crash, which emits the same alerts and tasks
again, leaves the store as it was: alerts are sorted-set members whose bytes depend only on the
alert, tasks are keyed by their id.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from agents.metrics import Metrics
from config.policy import CHANNELS
from topics.records import Alert, CareTask, rfc3339

log = logging.getLogger(__name__)
ALERTS_KEPT = 60  # per customer, the newest
TASKS_KEPT = 30
KEPT_S = 180 * 86_400  # history of a customer gone quiet expires after this long


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    task_id: str
    customer_id: str
    outcome: str
    ts: int


def alerts_key(prefix: str, customer_id: str) -> str:
    return f"{prefix}alerts:{customer_id}"


def tasks_key(prefix: str, customer_id: str) -> str:
    return f"{prefix}tasks:{customer_id}"


def task_key(prefix: str, task_id: str) -> str:
    return f"{prefix}task:{task_id}"


def outcome_key(prefix: str, task_id: str) -> str:
    return f"{prefix}outcome:{task_id}"


def desk_key(prefix: str, channel: str) -> str:
    return f"{prefix}desk:{channel}"


def alert_entry(alert: Alert) -> bytes:
    """An alert as the history keeps it: what a chart of levels over time and a list need."""
    return orjson.dumps(
        {
            "alert_id": alert.alert_id,
            "ts": rfc3339(alert.ts),
            "status": alert.status,
            "level": alert.level,
            "score": round(alert.score, 3),
            "signals": [r.signal for r in alert.reasons],
        }
    )


class HistoryWriter:
    def __init__(self, client: aioredis.Redis, prefix: str, metrics: Metrics) -> None:
        self.client, self.prefix, self.metrics = client, prefix, metrics

    async def record(
        self,
        alerts: Sequence[Alert],
        tasks: Sequence[CareTask],
        outcomes: Sequence[TaskOutcome],
    ) -> None:
        if not (alerts or tasks or outcomes):
            return
        p = self.prefix
        pipe = self.client.pipeline(transaction=False)
        for alert in alerts:
            key = alerts_key(p, alert.customer_id)
            pipe.zadd(key, {alert_entry(alert): alert.ts})
            pipe.zremrangebyrank(key, 0, -ALERTS_KEPT - 1)
            pipe.expire(key, KEPT_S)
        for task in tasks:
            self._task(pipe, task)
        for seen in outcomes:
            value = {"outcome": seen.outcome, "ts": rfc3339(seen.ts)}
            pipe.set(outcome_key(p, seen.task_id), orjson.dumps(value), ex=KEPT_S)
            for channel in CHANNELS:
                pipe.zrem(desk_key(p, channel), seen.task_id)
        try:
            await pipe.execute(raise_on_error=False)
        except (RedisError, OSError) as exc:
            self.metrics.redis_failures.inc()
            log.warning("redis history write failed (%s)", type(exc).__name__)

    def _task(self, pipe: Any, task: CareTask) -> None:
        p = self.prefix
        wire = task.to_wire()
        pipe.set(task_key(p, task.task_id), orjson.dumps(wire), ex=KEPT_S)
        key = tasks_key(p, task.customer_id)
        pipe.zadd(key, {task.task_id: task.created_at})
        pipe.zremrangebyrank(key, 0, -TASKS_KEPT - 1)
        pipe.expire(key, KEPT_S)
        if not task.control:  # the holdout is never called: it is not on any desk
            pipe.zadd(desk_key(p, task.channel), {task.task_id: task.due_at})
