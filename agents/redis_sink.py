"""The Redis serving store of current risk: one hash per customer and a sorted set of the
customers at medium or above (the contract's keys, under a configurable prefix).

Written in one pipeline per batch with short timeouts, so a slow or absent Redis costs a
metric, never the stream. After a failure the store is behind the truth, so the next
successful write is a full resync of this worker's customers from their state: the store
converges to what an uninterrupted run would hold, not just to the latest changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from agents.metrics import Metrics
from streams.locale import localise_detail
from streams.state import CustomerState
from topics.records import rfc3339

log = logging.getLogger(__name__)
AT_RISK = frozenset({"medium", "high", "critical"})
RESYNC_CHUNK = 1000


def risk_fields(state: CustomerState, locale: str = "en") -> dict[str, str]:
    """The customer's hash: `reasons` in the policy's locale (as alerts speak it) and, when
    that is not English, `reasons_en` beside it, which the console renders in any language."""
    fields = {
        "score": f"{state.score:.3f}",
        "level": state.level,
        "stage": state.stage,
        "value_tier": state.value_tier,
        "reasons": orjson.dumps(_in_locale(state.reasons, locale)).decode(),
        "alert_id": state.last_alert_id or "",
        "updated": rfc3339(state.risk_ts or 0),
        "category": state.alert_category or "",
        "region": str(state.profile.get("region") or ""),
    }
    if locale != "en":
        fields["reasons_en"] = orjson.dumps(state.reasons).decode()
    return fields


def _in_locale(reasons: list[dict[str, Any]], locale: str) -> list[dict[str, Any]]:
    if locale == "en":
        return reasons
    return [{**r, "detail": localise_detail(r["detail"], locale)} for r in reasons]


def redis_client(url: str, timeout_s: float) -> aioredis.Redis:
    """A client for `redis://` or `rediss://` (TLS) URLs; a password in the URL is used."""
    return aioredis.Redis.from_url(
        url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry_on_timeout=False
    )


def at_risk_key(prefix: str) -> str:
    """The sorted set of customers at risk, outside the `risk:{customer_id}` namespace: no
    customer id can name it."""
    return f"{prefix}at_risk"


class RedisRiskSink:
    def __init__(
        self,
        url: str,
        prefix: str,
        metrics: Metrics,
        everyone: Callable[[], Iterable[CustomerState]] = tuple,
        timeout_s: float = 0.5,
        retry_every_s: float = 2.0,
        locale: str = "en",
    ) -> None:
        self.client = redis_client(url, timeout_s)
        self.prefix = prefix
        self.metrics = metrics
        self.locale = locale
        self.everyone = everyone  # all customers this worker owns, for a resync
        self.healthy = True
        self.behind = False  # a write failed: the store misses changes until a resync
        # While Redis is away, try again only now and then: each try costs a timeout.
        self.retry_every_s = retry_every_s
        self._next_try = 0.0

    def key(self, customer_id: str) -> str:
        return f"{self.prefix}risk:{customer_id}"

    @property
    def top_key(self) -> str:
        return at_risk_key(self.prefix)

    async def write(self, states: Sequence[CustomerState]) -> None:
        if self.behind:
            await self.catch_up()
            return  # a resync writes these too, now or at the next try
        if states and not await self._execute(states):
            self.behind = True
            self._next_try = time.monotonic() + self.retry_every_s

    async def catch_up(self) -> None:
        """Resync if the store is behind and it is time to try again."""
        if not self.behind or time.monotonic() < self._next_try:
            return
        if not await self.resync():
            self._next_try = time.monotonic() + self.retry_every_s

    async def resync(self) -> bool:
        """Rewrite every customer this worker owns; True when the store caught up."""
        chunk: list[CustomerState] = []
        for state in self.everyone():
            chunk.append(state)
            if len(chunk) >= RESYNC_CHUNK:
                if not await self._execute(chunk):
                    return False
                chunk = []
        if chunk and not await self._execute(chunk):
            return False
        self.behind = False
        log.info("redis store resynchronised")
        return True

    async def _execute(self, states: Sequence[CustomerState]) -> bool:
        pipe = self.client.pipeline(transaction=False)
        for state in states:
            self._stage(pipe, state)
        try:
            replies = await pipe.execute(raise_on_error=False)
        except (RedisError, OSError) as exc:
            self.healthy = False
            self.metrics.redis_failures.inc()
            log.warning("redis write failed (%s); will resync when it answers", type(exc).__name__)
            return False
        self.healthy = True
        refused = [reply for reply in replies if isinstance(reply, ResponseError)]
        if refused:
            # A key Redis refuses (of the wrong type, say) stays refused: a resync would fail
            # the same way for ever, so it costs that customer's entry, not the whole store.
            self.metrics.redis_failures.inc(len(refused))
            log.warning("redis refused %d writes, the first: %s", len(refused), refused[0])
        return True

    def _stage(self, pipe: Any, state: CustomerState) -> None:
        if state.risk_ts is None:
            return  # never evaluated yet: nothing to show
        key = self.key(state.customer_id)
        if state.churned_ts is not None:
            pipe.delete(key)
            pipe.zrem(self.top_key, state.customer_id)
            return
        pipe.hset(key, mapping=cast(Mapping[Any, Any], risk_fields(state, self.locale)))
        if state.level in AT_RISK:
            pipe.zadd(self.top_key, {state.customer_id: round(state.score, 3)})
        else:
            pipe.zrem(self.top_key, state.customer_id)

    async def close(self) -> None:
        await self.client.aclose()
