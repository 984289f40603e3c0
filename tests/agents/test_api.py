"""The risk query API over a real redis-server: lookups, validation, at-risk listing, auth."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import redis

from agents.api import MAX_LIMIT, RiskApi, authorised
from agents.redis_sink import redis_client
from embedded.services import EmbeddedRedis

pytestmark = pytest.mark.integration
PREFIX = "apitest:"


@pytest.fixture
def store(redis_server: EmbeddedRedis) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    seed(client)
    yield client
    for key in client.scan_iter(f"{PREFIX}*"):
        client.delete(key)


def seed(client: redis.Redis) -> None:
    rows = [("C1", 0.95, "critical"), ("C2", 0.75, "high"), ("C3", 0.55, "medium")]
    for customer, score, level in rows:
        reasons = [{"signal": "port_out_request", "contribution": 7.0, "value": 1,
                    "detail": "asked to port the number out on 2026-03-01"}]  # fmt: skip
        client.hset(
            f"{PREFIX}risk:{customer}",
            mapping={"score": f"{score:.3f}", "level": level, "stage": "departure",
                     "value_tier": "gold", "reasons": orjson.dumps(reasons).decode(),
                     "alert_id": f"A-{customer}", "updated": "2026-03-01T00:00:00Z"},
        )  # fmt: skip
        client.zadd(f"{PREFIX}at_risk", {customer: score})
    client.hset(f"{PREFIX}risk:C4", mapping={"score": "0.047", "level": "none", "reasons": "[]"})


def call(redis_server: EmbeddedRedis, method: str, *args: Any) -> tuple[int, dict[str, Any]]:
    async def go() -> tuple[int, dict[str, Any]]:
        client = redis_client(redis_server.url, timeout_s=1.0)
        try:
            return await getattr(RiskApi(client, PREFIX), method)(*args)  # type: ignore[no-any-return]
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_a_known_customer_shows_every_signal_contribution(store, redis_server) -> None:
    status, body = call(redis_server, "customer_risk", "C1")
    assert status == 200
    assert (body["score"], body["level"], body["stage"], body["value_tier"]) == (
        0.95, "critical", "departure", "gold",
    )  # fmt: skip
    assert body["contributions"]["port_out_request"] == 7.0
    assert body["contributions"]["usage_drop"] == 0.0
    assert body["alert_id"] == "A-C1" and body["updated"] == "2026-03-01T00:00:00Z"


def test_unknown_and_malformed_ids(store, redis_server) -> None:
    assert call(redis_server, "customer_risk", "C999")[0] == 404
    assert call(redis_server, "customer_risk", "C1/../../x")[0] == 400
    assert call(redis_server, "customer_risk", "x" * 200)[0] == 400


def test_at_risk_lists_highest_first_from_the_level_asked(store, redis_server) -> None:
    status, body = call(redis_server, "at_risk", "high", "50")
    assert status == 200
    assert [c["customer_id"] for c in body["customers"]] == ["C1", "C2"]
    _, everyone = call(redis_server, "at_risk", None, None)
    assert [c["customer_id"] for c in everyone["customers"]] == ["C1", "C2", "C3"]
    _, one = call(redis_server, "at_risk", "medium", "1")
    assert [c["customer_id"] for c in one["customers"]] == ["C1"]


@pytest.mark.parametrize(
    ("level", "limit"),
    [("severe", "10"), ("high", "0"), ("high", str(MAX_LIMIT + 1)), ("high", "ten")],
)
def test_at_risk_validates_its_parameters(store, redis_server, level, limit) -> None:
    assert call(redis_server, "at_risk", level, limit)[0] == 400


def test_a_store_that_does_not_answer_is_a_503() -> None:
    async def go() -> int:
        client = redis_client("redis://127.0.0.1:1/0", timeout_s=0.2)
        try:
            return (await RiskApi(client, PREFIX).customer_risk("C1"))[0]
        finally:
            await client.aclose()

    assert asyncio.run(go()) == 503


def test_authorisation_is_a_bearer_token_when_one_is_configured() -> None:
    assert authorised(None, None)
    assert authorised("s3cret", "Bearer s3cret")
    assert not authorised("s3cret", None)
    assert not authorised("s3cret", "Bearer wrong")
    assert not authorised("s3cret", "s3cret")
    assert not authorised("s3cret", "Basic s3cret")
