"""The task guard against a real redis-server: new tasks pass, sent ones never again, pending
ones (a crash between guard and send) pass again, and without Redis everything passes."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from prometheus_client import CollectorRegistry

from agents.metrics import Metrics
from agents.redis_sink import redis_client
from agents.task_guard import TaskGuard
from embedded.services import EmbeddedRedis
from topics.records import CareTask

pytestmark = pytest.mark.integration

TASK = CareTask(
    task_id="T1", customer_id="C1", alert_id="A1", action="retention_call",
    channel="retention_desk", priority=1, created_at=0, due_at=3600, expires_at=86_400,
    stage="departure", value_tier="gold", reasons=("port_out_request",), talking_points=(),
    offer=None, control=False,
)  # fmt: skip


def run(url: str, steps) -> list[list[str]]:
    async def go() -> list[list[str]]:
        client = redis_client(url, timeout_s=0.5)
        guard = TaskGuard(client, "guardtest:", Metrics(CollectorRegistry()), ttl_s=60)
        out = []
        for verb, tasks in steps:
            if verb == "claim":
                out.append([t.task_id for t in await guard.claim(tasks)])
            else:
                await guard.mark_sent(tasks)
        await client.aclose()
        return out

    return asyncio.run(go())


def test_a_sent_task_is_never_claimed_again_a_pending_one_is(redis_server: EmbeddedRedis):
    other = dataclasses.replace(TASK, task_id="T2")
    claims = run(
        redis_server.url,
        [("claim", [TASK, other]), ("sent", [TASK]), ("claim", [TASK, other])],
    )
    assert claims == [["T1", "T2"], ["T2"]]  # T2 was left pending by a "crash": sent again


def test_without_redis_every_task_goes_out() -> None:
    assert run("redis://127.0.0.1:1/0", [("claim", [TASK])]) == [["T1"]]
