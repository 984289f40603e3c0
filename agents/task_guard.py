"""The guard that keeps a care task from being emitted twice: restarts and rebalances replay
batches, and two workers may briefly both believe they own a partition.

Two phases in Redis, per task id: `pending` (set with NX before the send) and `sent` (after
the broker acknowledged it). A replay skips tasks marked `sent`, and sends again those left
`pending` — a crash between the guard and the send must not lose the task; the worst case is
one duplicate, with the same id. Without Redis the guard steps aside: at-least-once wins.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from redis.exceptions import RedisError

from agents.metrics import Metrics
from topics.records import CareTask

log = logging.getLogger(__name__)
PENDING = b"pending"
SENT = b"sent"


class TaskGuard:
    def __init__(self, client: Any, prefix: str, metrics: Metrics, ttl_s: int) -> None:
        self.client = client
        self.prefix = prefix
        self.metrics = metrics
        self.ttl_s = ttl_s  # longer than any replay: the task's own expiry and then some

    def key(self, task_id: str) -> str:
        return f"{self.prefix}task:{task_id}"

    async def claim(self, tasks: Sequence[CareTask]) -> list[CareTask]:
        """The tasks to send now: new ones, and ones a crash left pending."""
        if not tasks:
            return []
        pipe = self.client.pipeline(transaction=False)
        for task in tasks:
            pipe.set(self.key(task.task_id), PENDING, nx=True, ex=self.ttl_s)
            pipe.get(self.key(task.task_id))
        try:
            replies = await pipe.execute()
        except (RedisError, OSError) as exc:
            self.metrics.redis_failures.inc()
            log.warning("task guard unavailable (%s): sending unguarded", type(exc).__name__)
            return list(tasks)
        marks = replies[1::2]
        return [task for task, mark in zip(tasks, marks, strict=True) if mark != SENT]

    async def mark_sent(self, tasks: Sequence[CareTask]) -> None:
        if not tasks:
            return
        pipe = self.client.pipeline(transaction=False)
        for task in tasks:
            pipe.set(self.key(task.task_id), SENT, ex=self.ttl_s)
        try:
            await pipe.execute()
        except (RedisError, OSError):
            self.metrics.redis_failures.inc()  # a replay may send these once more
