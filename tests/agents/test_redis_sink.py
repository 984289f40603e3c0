"""The Redis sink against real redis-servers: contract keys, password auth, failures counted."""

from __future__ import annotations

import asyncio

import pytest
import redis
from prometheus_client import CollectorRegistry

from agents.metrics import Metrics
from agents.redis_sink import RedisRiskSink
from embedded.services import EmbeddedRedis
from streams.state import CustomerState

pytestmark = pytest.mark.integration


def at_risk(customer_id: str, level: str, score: float) -> CustomerState:
    state = CustomerState(customer_id, level=level, score=score, stage="decline")
    state.risk_ts = 1_772_000_000
    state.reasons = [{"signal": "usage_drop", "contribution": 3.1, "value": 0.6, "detail": "x"}]
    return state


def write(url: str, states: list[CustomerState]) -> RedisRiskSink:
    sink = RedisRiskSink(url, "churnwatch:", Metrics(CollectorRegistry()), everyone=lambda: states)

    async def go() -> None:
        await sink.write(states)
        await sink.close()

    asyncio.run(go())
    return sink


def test_the_contract_keys_behind_a_password() -> None:
    with EmbeddedRedis(password="pw-for-tests") as server:
        states = [at_risk("C1", "high", 0.8), at_risk("C2", "none", 0.1)]
        sink = write(server.url, states)
        assert sink.healthy and not sink.behind
        client = redis.Redis.from_url(server.url, decode_responses=True)
        assert client.hgetall("churnwatch:risk:C1") == {
            "score": "0.800", "level": "high", "stage": "decline", "value_tier": "standard",
            "reasons": '[{"signal":"usage_drop","contribution":3.1,"value":0.6,"detail":"x"}]',
            "alert_id": "", "updated": "2026-02-25T06:13:20Z", "category": "", "region": "",
        }  # fmt: skip
        assert client.zrange("churnwatch:at_risk", 0, -1, withscores=True) == [("C1", 0.8)]
        assert client.hget("churnwatch:risk:C2", "level") == "none"


def test_a_wrong_password_is_a_counted_failure_not_a_crash() -> None:
    with EmbeddedRedis(password="right") as server:
        wrong = server.url.replace(":right@", ":wrong@")
        sink = write(wrong, [at_risk("C1", "high", 0.8)])
        assert not sink.healthy and sink.behind
        assert sink.metrics.registry.get_sample_value("churnwatch_redis_failures_total") == 1


def test_a_churned_customer_leaves_the_store(redis_server: EmbeddedRedis) -> None:
    gone = at_risk("C9", "critical", 0.97)
    write(redis_server.url, [gone])
    gone.churned_ts = 1_772_100_000
    write(redis_server.url, [gone])
    client = redis.Redis.from_url(redis_server.url)
    assert not client.exists("churnwatch:risk:C9")
    assert client.zscore("churnwatch:at_risk", "C9") is None


def test_the_store_over_tls_with_a_password() -> None:
    with EmbeddedRedis(password="pw-for-tests", tls=True) as server:
        assert server.url.startswith("rediss://")
        sink = write(server.url, [at_risk("C1", "critical", 0.95)])
        assert sink.healthy
        client = redis.Redis.from_url(server.url, decode_responses=True)
        assert client.hget("churnwatch:risk:C1", "level") == "critical"


def test_customers_named_like_the_store_s_own_keys_collide_with_nothing() -> None:
    with EmbeddedRedis() as server:
        states = [at_risk("top", "high", 0.8), at_risk("at_risk", "critical", 0.95)]
        sink = write(server.url, states)
        assert sink.healthy and not sink.behind
        client = redis.Redis.from_url(server.url, decode_responses=True)
        assert client.type("churnwatch:at_risk") == "zset"
        assert client.hget("churnwatch:risk:top", "level") == "high"
        assert client.hget("churnwatch:risk:at_risk", "level") == "critical"


def test_a_key_redis_refuses_costs_that_customer_not_the_store() -> None:
    with EmbeddedRedis() as server:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        client.set("churnwatch:risk:C1", "left by someone else")  # the wrong type for a hash
        sink = write(server.url, [at_risk("C1", "high", 0.8), at_risk("C2", "high", 0.7)])
        assert sink.healthy and not sink.behind  # no resync loop for ever
        assert client.hget("churnwatch:risk:C2", "level") == "high"
        assert sink.metrics.registry.get_sample_value("churnwatch_redis_failures_total") == 1
