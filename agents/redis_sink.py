"""The Redis serving store of current risk: one hash per customer and a sorted set of the
customers at medium or above. Written in one pipeline per batch, with short timeouts, so a
slow or absent Redis costs a metric, never the stream."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from agents.metrics import Metrics
from streams.state import CustomerState

log = logging.getLogger(__name__)
AT_RISK = frozenset({"medium", "high", "critical"})


def risk_fields(state: CustomerState, updated: int) -> dict[str, str]:
    return {
        "score": f"{state.score:.3f}",
        "level": state.level,
        "stage": state.stage,
        "value_tier": state.value_tier,
        "reasons": orjson.dumps(state.reasons).decode(),
        "alert_id": state.last_alert_id or "",
        "updated": str(updated),
    }


class RedisRiskSink:
    def __init__(self, url: str, prefix: str, metrics: Metrics, timeout_s: float = 0.5) -> None:
        self.client = aioredis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self.prefix = prefix
        self.metrics = metrics
        self.healthy = True

    async def write(self, states: Sequence[CustomerState]) -> None:
        if not states:
            return
        pipe = self.client.pipeline(transaction=False)
        top = f"{self.prefix}risk:top"
        for state in states:
            key = f"{self.prefix}risk:{state.customer_id}"
            if state.churned_ts is not None:
                pipe.delete(key)
                pipe.zrem(top, state.customer_id)
                continue
            pipe.hset(
                key, mapping=cast(Mapping[Any, Any], risk_fields(state, state.last_eval_ts or 0))
            )
            if state.level in AT_RISK:
                pipe.zadd(top, {state.customer_id: round(state.score, 3)})
            else:
                pipe.zrem(top, state.customer_id)
        try:
            await pipe.execute()
            self.healthy = True
        except (RedisError, OSError) as exc:
            self.healthy = False
            self.metrics.redis_failures.inc()
            log.warning("redis write failed (%s); the store will lag", type(exc).__name__)

    async def close(self) -> None:
        await self.client.aclose()
