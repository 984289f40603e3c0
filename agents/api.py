"""The query API for systems that do not read Kafka: current risk of one customer, and the
customers at risk by level. Reads the Redis serving store, so any worker answers for every
customer; pure request -> (status, body) functions, wired into Faust's web server in app.py."""

from __future__ import annotations

import hmac
import re
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from agents.redis_sink import at_risk_key
from config.policy import LEVELS, SIGNAL_IDS

Response = tuple[int, dict[str, Any]]
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_LEVEL_FLOOR = {"medium": 0.0, "high": 1.0, "critical": 2.0}  # ranks among at-risk levels


def authorised(token: str | None, header: str | None) -> bool:
    """No token configured: open. Otherwise `Authorization: Bearer <token>`, compared in
    constant time so the comparison leaks nothing about the token."""
    if token is None:
        return True
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())


class RiskApi:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    async def customer_risk(self, customer_id: str) -> Response:
        if not _CUSTOMER_ID.fullmatch(customer_id):
            return 400, {"error": "malformed customer id"}
        try:
            raw: dict[Any, Any] = await self.client.hgetall(f"{self.prefix}risk:{customer_id}")
        except (RedisError, OSError):
            return 503, {"error": "risk store unavailable"}
        if not raw:
            return 404, {"error": "unknown customer"}
        return 200, risk_view(customer_id, {_text(k): _text(v) for k, v in raw.items()})

    async def at_risk(self, level: str | None, limit: str | None) -> Response:
        wanted = level or "medium"
        if wanted not in _LEVEL_FLOOR:
            return 400, {"error": f"level must be one of {', '.join(LEVELS[1:])}"}
        try:
            count = int(limit) if limit is not None else DEFAULT_LIMIT
        except ValueError:
            return 400, {"error": "limit must be an integer"}
        if not 1 <= count <= MAX_LIMIT:
            return 400, {"error": f"limit must be within 1..{MAX_LIMIT}"}
        try:
            customers = await self._top(wanted, count)
        except (RedisError, OSError):
            return 503, {"error": "risk store unavailable"}
        return 200, {"level": wanted, "count": len(customers), "customers": customers}

    async def _top(self, level: str, count: int) -> list[dict[str, Any]]:
        """Highest scores first, keeping those at `level` or above."""
        floor = _LEVEL_FLOOR[level]
        found: list[dict[str, Any]] = []
        start = 0
        while len(found) < count:
            page: list[Any] = list(
                await self.client.zrevrange(
                    at_risk_key(self.prefix), start, start + count * 2 - 1, withscores=True
                )
            )
            if not page:
                break
            start += len(page)
            members = [_text(member) for member, _ in page]
            levels = await self._levels(members)
            for member, (_, score), current in zip(members, page, levels, strict=True):
                if current is not None and _LEVEL_FLOOR.get(current, -1.0) >= floor:
                    found.append({"customer_id": member, "score": score, "level": current})
        return found[:count]

    async def _levels(self, customers: list[str]) -> list[str | None]:
        pipe = self.client.pipeline(transaction=False)
        for customer in customers:
            pipe.hget(f"{self.prefix}risk:{customer}", "level")
        return [_text(v) if v is not None else None for v in await pipe.execute()]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def risk_view(customer_id: str, fields: dict[str, str]) -> dict[str, Any]:
    reasons = orjson.loads(fields.get("reasons", "[]"))
    fired = {r["signal"]: r["contribution"] for r in reasons}
    return {
        "customer_id": customer_id,
        "score": float(fields.get("score", 0.0)),
        "level": fields.get("level", "none"),
        "stage": fields.get("stage"),
        "value_tier": fields.get("value_tier"),
        "reasons": reasons,
        "contributions": {signal: fired.get(signal, 0.0) for signal in SIGNAL_IDS},
        "alert_id": fields.get("alert_id") or None,
        "updated": fields.get("updated"),
    }
