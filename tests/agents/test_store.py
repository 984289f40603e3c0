"""The Redis serving store and the HTTP API on a running worker: the store equals what the
oracle's states say, survives a Redis outage by resynchronising, and the API's auth holds."""

from __future__ import annotations

import time
import urllib.request
from datetime import datetime, timedelta
from typing import Any
from urllib.error import HTTPError

import orjson
import pytest
import redis

from agents.redis_sink import AT_RISK, risk_fields
from churnwatch.commands import ensure_topics
from churnwatch.worker_process import WorkerProcess
from config.policy import Policy
from config.settings import Settings
from embedded.process import wait_until
from embedded.services import EmbeddedBroker, EmbeddedRedis
from sim.population import SimConfig, simulate
from streams.calendar import Calendar
from streams.offline import OfflineRunner, ReplayRecord
from tests.support.live import produce_records, wait_for_metric
from topics.catalog import CDR

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]
TOKEN = "t0ken-for-tests"
DAY = 86_400


def expected_store(
    records: list[ReplayRecord],
) -> tuple[dict[str, dict[str, str]], dict[str, float]]:
    """What an uninterrupted run leaves in Redis: the oracle's final states, as the sink
    writes them."""
    runner = OfflineRunner(Policy(), Calendar())
    runner.run(records)
    hashes, top = {}, {}
    for engine in runner.engines.values():
        for state in engine.states.values():
            if state.risk_ts is None or state.churned_ts is not None:
                continue
            hashes[state.customer_id] = risk_fields(state)
            if state.level in AT_RISK:
                top[state.customer_id] = round(state.score, 3)
    return hashes, top


def store_content(url: str) -> tuple[dict[str, dict[str, str]], dict[str, float]]:
    client = redis.Redis.from_url(url, decode_responses=True)
    hashes = {
        key.split(":", 2)[2]: client.hgetall(key)
        for key in client.scan_iter("churnwatch:risk:*")
        if key != "churnwatch:at_risk"
    }
    top = dict(client.zrange("churnwatch:at_risk", 0, -1, withscores=True))
    return hashes, top


def get(url: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, orjson.loads(response.read())
    except HTTPError as error:
        return error.code, orjson.loads(error.read())


@pytest.fixture(scope="module")
def history() -> tuple[list[ReplayRecord], list[ReplayRecord]]:
    """Two phases: everything up to the last ten days, then those days’ usage only (one
    topic, in order: replayed months arrive in seconds, and only a single topic written while
    the worker reads keeps the live run identical to the one-pass oracle)."""
    records = list(simulate(SimConfig(customers=160, days=70, seed=21))[1])
    cut = max(r.ts for r in records) - timedelta(days=10)
    first = [as_replay(r) for r in records if r.ts < cut]
    later = [as_replay(r) for r in records if r.ts >= cut and r.topic == CDR]
    return first, later


def as_replay(record: Any) -> ReplayRecord:
    return ReplayRecord(record.topic, record.key, orjson.dumps(record.value))


def test_store_converges_after_a_redis_outage_and_the_api_serves_it(history) -> None:
    first, later = history
    hashes, top = expected_store([*first, *later])
    with EmbeddedBroker() as broker, EmbeddedRedis() as store:
        ensure_topics(Settings(kafka_bootstrap=broker.bootstrap))
        produce_records(broker.bootstrap, first)
        env = {"CHURNWATCH_API_TOKEN": TOKEN}
        with WorkerProcess(broker.bootstrap, store.url, env=env) as worker:
            wait_for_metric(worker, "churnwatch_events_total", lambda n: n >= len(first), 120)
            store.kill()  # Redis gone mid-stream; it comes back empty (no persistence)
            produce_records(broker.bootstrap, later)
            total = len(first) + len(later)
            wait_for_metric(worker, "churnwatch_events_total", lambda n: n >= total, 120)
            # Every partition's clock at the end of its input (its inputs gone quiet): the last
            # evaluations are made, and only an outage keeps them from the store.
            last = max(orjson.loads(r.value)["ts"] for r in later)
            behind = time.time() - datetime.fromisoformat(last).timestamp()
            wait_for_metric(
                worker, "churnwatch_watermark_lag_seconds", lambda s: 0 < s <= behind + DAY, 60
            )
            wait_for_metric(worker, "churnwatch_redis_failures_total", lambda n: n >= 1, 30)
            # The store is written every commit interval: wait for the write that finds Redis gone.
            wait_until(
                lambda: get(f"{worker.url}/readyz")[1]["redis"] == "degraded",
                timeout=30,
                what="/readyz to report the degraded store",
            )
            store.restart()
            wait_until(
                lambda: store_content(store.url) == (hashes, top),
                timeout=60,
                what="the Redis store to converge to the oracle",
            )
            assert get(f"{worker.url}/readyz")[1]["redis"] == "ok"
            api_answers(worker.url, hashes, top)


def api_answers(base: str, hashes: dict[str, dict[str, str]], top: dict[str, float]) -> None:
    customer = max(top, key=lambda c: (top[c], c))
    assert get(f"{base}/customers/{customer}/risk")[0] == 401
    assert get(f"{base}/customers/{customer}/risk", "wrong")[0] == 401
    assert get(f"{base}/customers/NOBODY/risk")[0] == 401  # no hint whether it exists
    status, body = get(f"{base}/customers/{customer}/risk", TOKEN)
    assert status == 200 and body["level"] == hashes[customer]["level"]
    assert get(f"{base}/customers/NOBODY/risk", TOKEN)[0] == 404
    status, listing = get(f"{base}/customers/at-risk?level=medium&limit=500", TOKEN)
    assert status == 200
    assert {c["customer_id"] for c in listing["customers"]} == set(top)
    scores = [c["score"] for c in listing["customers"]]
    assert scores == sorted(scores, reverse=True)
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        assert b"churnwatch_events_total" in response.read()  # open without a token
    assert get(f"{base}/healthz")[0] == 200
