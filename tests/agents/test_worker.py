"""The worker end to end on the real embedded broker and Redis: simulator -> worker -> alerts,
tasks, dead letters and the serving store, checked against the offline oracle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import redis

from churnwatch.commands import ensure_topics
from churnwatch.worker_process import WorkerProcess
from config.policy import Policy
from config.settings import Settings
from embedded.process import wait_until
from embedded.services import EmbeddedBroker, EmbeddedRedis
from sim.population import SimConfig, simulate
from streams.calendar import Calendar
from streams.offline import ReplayRecord, run_offline
from tests.support.live import (
    as_record,
    produce_records,
    wait_for_metric,
    wait_for_records,
)
from topics.catalog import ALERTS, CDR, CRM, DEADLETTER, TASKS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

POPULATION = SimConfig(customers=240, days=70, seed=11)


@pytest.fixture
def fresh_broker() -> Iterator[EmbeddedBroker]:
    """A broker of the test's own: the contract's topic names cannot be made unique."""
    with EmbeddedBroker() as started:
        ensure_topics(Settings(kafka_bootstrap=started.bootstrap))
        yield started


@pytest.fixture(scope="module")
def history() -> tuple[list, list[ReplayRecord]]:
    truths, records = simulate(POPULATION)
    return truths, [ReplayRecord(r.topic, r.key, orjson.dumps(r.value)) for r in records]


def test_worker_alerts_match_the_oracle_and_catch_every_scripted_churner(
    fresh_broker: EmbeddedBroker, redis_server: EmbeddedRedis, history
) -> None:
    truths, records = history
    oracle = run_offline(records, Policy(), Calendar())
    # History first, then the worker: replayed months arrive in seconds, so a topic the worker
    # found empty a moment ago would count as caught up while its past is still being written.
    produced = produce_records(fresh_broker.bootstrap, records)

    with WorkerProcess(fresh_broker.bootstrap, redis_server.url) as worker:
        wait_for_metric(worker, "churnwatch_events_total", lambda n: n >= produced, timeout=180)
        alerts = wait_for_records(
            fresh_broker.bootstrap, ALERTS, lambda r: len(r) >= len(oracle.alerts), timeout=60
        )
        tasks = wait_for_records(
            fresh_broker.bootstrap, TASKS, lambda r: len(r) >= len(oracle.tasks), timeout=30
        )

    assert {a["alert_id"] for a in alerts} == {a.alert_id for a in oracle.alerts}
    assert {t["task_id"] for t in tasks} == {t.task_id for t in oracle.tasks}
    _every_churner_caught_and_no_steady_alerted(truths, alerts)
    # The store is written every commit interval, after the outputs: give it that time.
    wait_until(lambda: _store_agrees(redis_server, alerts), timeout=30, what="the Redis store")
    _serving_store_matches(redis_server, alerts)


def _every_churner_caught_and_no_steady_alerted(truths: list, alerts: list[dict]) -> None:
    top_reasons_before: dict[str, set[str]] = {}
    for alert in alerts:
        if alert["status"] != "cleared":
            day = datetime.fromisoformat(alert["ts"]).astimezone(UTC).date()
            top_reasons_before.setdefault(alert["customer_id"], set()).add(
                f"{day.isoformat()}|{alert['reasons'][0]['signal']}"
            )
    for truth in truths:
        seen = top_reasons_before.get(truth.customer_id, set())
        if truth.churn_date is None:
            assert not seen, f"steady customer {truth.customer_id} alerted: {seen}"
            continue
        before = {s.split("|")[1] for s in seen if s.split("|")[0] < truth.churn_date.isoformat()}
        assert truth.expected_signal in before, (
            f"{truth.customer_id} ({truth.path}, churned {truth.churn_date}) "
            f"expected {truth.expected_signal}, got {sorted(seen)}"
        )


def _serving_store_matches(redis_server: EmbeddedRedis, alerts: list[dict]) -> None:
    client = redis.Redis.from_url(redis_server.url)
    last = {}
    for alert in alerts:
        last[alert["customer_id"]] = alert
    at_risk = {c for c, a in last.items() if a["status"] != "cleared"}
    top = {m.decode() for m in client.zrange("churnwatch:at_risk", 0, -1)}
    assert at_risk - top <= _churned(client, at_risk)
    for customer in top:
        assert client.hget(f"churnwatch:risk:{customer}", "level") in (
            b"medium",
            b"high",
            b"critical",
        )


def _store_agrees(redis_server: EmbeddedRedis, alerts: list[dict]) -> bool:
    try:
        _serving_store_matches(redis_server, alerts)
    except AssertionError:
        return False
    return True


def _churned(client: redis.Redis, customers: set[str]) -> set[str]:
    return {c for c in customers if not client.exists(f"churnwatch:risk:{c}")}


@pytest.fixture
def small_limit_worker(
    fresh_broker: EmbeddedBroker, redis_server: EmbeddedRedis, tmp_path: Path
) -> Iterator[WorkerProcess]:
    """A worker whose largest accepted message is 64 KiB: the broker's own limit (1 MB) is
    too close to the contract's default to send a larger one through it."""
    policy = tmp_path / "policy.json"
    policy.write_bytes(orjson.dumps({"ingest": {"max_message_bytes": 65536}}))
    env = {"CHURNWATCH_CONFIG": str(policy)}
    with WorkerProcess(fresh_broker.bootstrap, redis_server.url, env=env) as started:
        yield started


def test_bad_messages_are_dead_lettered_and_the_worker_keeps_going(
    fresh_broker: EmbeddedBroker, small_limit_worker: WorkerProcess
) -> None:
    worker = small_limit_worker
    good = {
        "event_id": "e-1", "customer_id": "C000001", "ts": "2026-03-01T08:15:00+08:00",
        "kind": "voice", "direction": "out", "duration_s": 60, "counterpart": "13800000000",
    }  # fmt: skip
    bad = [
        as_record(CDR, b"{not json", "C000001"),
        as_record(CDR, {**good, "event_id": "e-2", "duration_s": -5}, "C000001"),
        as_record(CDR, {k: v for k, v in good.items() if k != "ts"}, "C000001"),
        as_record(CRM, {**good, "event_id": "e-3", "kind": "teleport"}, "C000001"),
        as_record(CDR, {**good, "event_id": "e-4", "duration_s": "long"}, "C000001"),
        as_record(CDR, b"x" * (100 * 1024), "C000001"),
        as_record(CDR, b"\xff\xfe not utf-8", "C000001"),
    ]
    after = [as_record(CDR, {**good, "event_id": f"ok-{i}"}, "C000001") for i in range(5)]
    produce_records(fresh_broker.bootstrap, [as_record(CDR, good, "C000001"), *bad, *after])

    wait_for_metric(worker, "churnwatch_events_total", lambda n: n >= 13, timeout=60)
    letters = wait_for_records(
        fresh_broker.bootstrap, DEADLETTER, lambda r: len(r) >= len(bad), timeout=30
    )
    codes = sorted(letter["error"]["code"] for letter in letters)
    assert codes == sorted(
        ["invalid_json", "out_of_range", "missing_field", "unknown_kind", "bad_type",
         "too_large", "invalid_json"]
    )  # fmt: skip
    assert all(letter["topic"] in (CDR, CRM) and letter["raw"] for letter in letters)
    assert worker.running
