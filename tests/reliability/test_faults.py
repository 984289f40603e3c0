"""Fault injection on real processes — worker, embedded broker, redis-server — each judged
against the offline oracle: the same alert ids, the same task ids, the same usage in state."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from agents.changelog import ChangelogStore
from agents.kafka import aiokafka_config
from churnwatch.commands import ensure_topics
from churnwatch.worker_process import WorkerProcess, metric_sum
from config.policy import Policy, policy_from_dict
from config.settings import Settings
from embedded.process import wait_until
from embedded.services import EmbeddedBroker, EmbeddedRedis
from sim.population import SimConfig, simulate
from streams.calendar import Calendar
from streams.offline import OfflineRunner, ReplayRecord
from tests.support.live import produce_live, produce_records, read_topic, wait_for_metric
from topics.catalog import ALERTS, TASKS, changelog_topic

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]
PAUSE_S = 30.0  # the outage length the reliability issue names


class Oracle:
    """What an undisturbed run of the same history produces."""

    def __init__(self, records: list[ReplayRecord], policy: Policy | None = None) -> None:
        runner = OfflineRunner(policy or Policy(), Calendar())
        runner.run(records)
        self.alert_ids = {a.alert_id for a in runner.result.alerts}
        self.task_ids = {t.task_id for t in runner.result.tasks}
        states = [s for e in runner.engines.values() for s in e.states.values()]
        self.usage = {s.customer_id: s.days for s in states}
        self.customers_in_store = sum(
            1 for s in states if s.risk_ts is not None and s.churned_ts is None
        )


@pytest.fixture(scope="module")
def history() -> list[ReplayRecord]:
    _, records = simulate(SimConfig(customers=300, days=70, seed=13))
    return [ReplayRecord(r.topic, r.key, orjson.dumps(r.value)) for r in records]


@pytest.fixture(scope="module")
def oracle(history: list[ReplayRecord]) -> Oracle:
    return Oracle(history)


@pytest.fixture(autouse=True)
def empty_store(redis_server: EmbeddedRedis) -> None:
    """Every test replays the same history, hence the same task ids: the task guard in the
    shared Redis must not remember the previous test's tasks as already sent."""
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()


@pytest.fixture
def empty_broker() -> Iterator[EmbeddedBroker]:
    """A fresh broker with churnwatch's topics and nothing on them."""
    with EmbeddedBroker() as started:
        ensure_topics(Settings(kafka_bootstrap=started.bootstrap))
        yield started


@pytest.fixture
def broker(empty_broker: EmbeddedBroker, history: list[ReplayRecord]) -> EmbeddedBroker:
    """A fresh broker holding the whole history before any worker starts."""
    produce_records(empty_broker.bootstrap, history)
    return empty_broker


def changelog_usage(bootstrap: str) -> dict[str, dict[int, list[int]]]:
    store = ChangelogStore(changelog_topic("churnwatch"), aiokafka_config(
        Settings(kafka_bootstrap=bootstrap)))  # fmt: skip
    asyncio.run(store.recover(range(8)))
    usage = {}
    for partition in range(8):
        states, _, _ = store.load(partition)
        usage.update({s.customer_id: s.days for s in states})
    return usage


def same_usage(
    recovered: dict[str, dict[int, list[int]]], expected: dict[str, dict[int, list[int]]]
) -> bool:
    """Every day the oracle still keeps holds exactly the same counts (no event counted twice
    or lost). Days the oracle has pruned may linger in the changelog: pruning alone is not
    worth a write, and a recovered state prunes them at its next day close."""
    if recovered.keys() != expected.keys():
        return False
    return all(
        recovered[c].get(day) == counts
        for c, days in expected.items()
        for day, counts in days.items()
    )


def assert_matches_oracle(bootstrap: str, oracle: Oracle) -> None:
    def caught_up() -> bool:
        alerts = {a["alert_id"] for a in read_topic(bootstrap, ALERTS, idle_s=0.5)}
        return alerts >= oracle.alert_ids

    wait_until(caught_up, timeout=120, what="every oracle alert on churn.alerts")
    wait_until(lambda: same_usage(changelog_usage(bootstrap), oracle.usage), timeout=60,
               what="the changelog's usage to equal the oracle's")  # fmt: skip
    alerts = {a["alert_id"] for a in read_topic(bootstrap, ALERTS)}
    tasks = {t["task_id"] for t in read_topic(bootstrap, TASKS)}
    assert alerts == oracle.alert_ids
    assert tasks == oracle.task_ids


def test_sigkilled_five_times_at_random_points(
    broker: EmbeddedBroker, redis_server: EmbeddedRedis, oracle: Oracle
) -> None:
    rng = random.Random(7)
    for _ in range(5):
        with WorkerProcess(broker.bootstrap, redis_server.url) as worker:
            point = rng.randint(1, 9000)  # one or two batches in
            wait_for_metric(worker, "churnwatch_events_total", lambda n, p=point: n >= p, 120)
            worker.kill()
    with WorkerProcess(broker.bootstrap, redis_server.url):
        assert_matches_oracle(broker.bootstrap, oracle)


def test_a_second_worker_joins_and_leaves_mid_stream(
    empty_broker: EmbeddedBroker,
    redis_server: EmbeddedRedis,
    history: list[ReplayRecord],
    tmp_path: Path,
) -> None:
    # The later half goes on while both workers read, so the second has work whatever the
    # first got through before it joined (produced up front, the first could finish it all
    # first: a race CI lost). History produced live runs days of event time a second: a topic
    # read up to a highwater a moment old looks caught up while others run on, so evaluations
    # wait ten days here, far longer than that skew (`produce_live`).
    patient = {"ingest": {"evaluation_delay_minutes": 10 * 24 * 60}}
    oracle = Oracle(history, policy_from_dict(patient))
    (tmp_path / "patient.json").write_bytes(orjson.dumps(patient))
    env = {"CHURNWATCH_CONFIG": str(tmp_path / "patient.json")}
    bootstrap, half = empty_broker.bootstrap, len(history) // 2
    produce_records(bootstrap, history[:half])
    with WorkerProcess(bootstrap, redis_server.url, env=env) as first:
        wait_for_metric(first, "churnwatch_events_total", lambda n: n >= 1, 120)
        joined = time.monotonic()
        with WorkerProcess(bootstrap, redis_server.url, env=env) as second:
            wait_until(lambda: ready(second), timeout=30, what="the second worker to be assigned")
            rebalance_s = time.monotonic() - joined
            later = threading.Thread(target=produce_live, args=(bootstrap, history[half:]))
            later.start()
            wait_for_metric(second, "churnwatch_events_total", lambda n: n >= 1, 120)
        later.join()
        assert_matches_oracle(bootstrap, oracle)
    assert rebalance_s < 30  # stated in docs/reliability.md


def ready(worker: WorkerProcess) -> bool:
    import urllib.request
    from urllib.error import HTTPError

    try:
        with urllib.request.urlopen(f"{worker.url}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except HTTPError:
        return False


def test_the_broker_paused_for_thirty_seconds(
    broker: EmbeddedBroker, redis_server: EmbeddedRedis, oracle: Oracle
) -> None:
    with WorkerProcess(broker.bootstrap, redis_server.url) as worker:
        wait_for_metric(worker, "churnwatch_events_total", lambda n: n >= 1, 120)
        broker.pause()
        time.sleep(PAUSE_S)  # the fault itself, not a synchronisation
        broker.resume()
        assert_matches_oracle(broker.bootstrap, oracle)
        assert worker.running  # resumed by itself: no restart


def test_redis_killed_for_thirty_seconds_processing_goes_on(
    broker: EmbeddedBroker, oracle: Oracle
) -> None:
    with EmbeddedRedis() as store, WorkerProcess(broker.bootstrap, store.url) as worker:
        store.kill()
        started = time.monotonic()
        wait_for_metric(worker, "churnwatch_events_total", lambda n: n >= 1, 120)
        assert_matches_oracle(broker.bootstrap, oracle)  # all processed with Redis down
        assert metric_sum(worker.metrics_text(), "churnwatch_redis_failures_total") >= 1
        time.sleep(max(0.0, PAUSE_S - (time.monotonic() - started)))  # the outage's length
        store.restart()
        wait_until(
            lambda: store_size(store.url) == oracle.customers_in_store,
            timeout=30,
            what="the store's resync of every customer",
        )


def store_size(url: str) -> int:
    import redis

    return sum(1 for _ in redis.Redis.from_url(url).scan_iter("churnwatch:risk:C*"))


def test_duplicated_and_reordered_input_gives_the_oracle_s_alerts(
    redis_server: EmbeddedRedis, history: list[ReplayRecord], tmp_path
) -> None:
    from tests.reliability.test_offline_faults import PATIENT, duplicated, reordered

    rng = random.Random(3)
    dirty = reordered(duplicated(history, 0.10, rng), 400, rng)
    clean = OfflineRunner(PATIENT, Calendar())
    clean.run(history)
    policy = tmp_path / "patient.json"
    policy.write_bytes(orjson.dumps({"ingest": {"evaluation_delay_minutes": 72 * 60}}))
    with EmbeddedBroker() as broker:
        ensure_topics(Settings(kafka_bootstrap=broker.bootstrap))
        produce_records(broker.bootstrap, dirty)
        env = {"CHURNWATCH_CONFIG": str(policy)}
        with WorkerProcess(broker.bootstrap, redis_server.url, env=env) as worker:
            wait_for_metric(worker, "churnwatch_events_total", lambda n: n >= len(dirty), 120)
            duplicates = metric_sum(worker.metrics_text(), "churnwatch_duplicate_events_total")
            expected = {a.alert_id for a in clean.result.alerts}
            wait_until(
                lambda: (
                    {a["alert_id"] for a in read_topic(broker.bootstrap, ALERTS, 0.5)} >= expected
                ),
                timeout=60,
                what="the oracle's alerts",
            )
            assert {a["alert_id"] for a in read_topic(broker.bootstrap, ALERTS)} == expected
            assert duplicates == len(dirty) - len(history)
            assert metric_sum(worker.metrics_text(), "churnwatch_deadletters_total") == 0


def test_hostile_messages_are_dead_lettered_one_for_one_and_the_worker_lives(
    redis_server: EmbeddedRedis,
) -> None:
    from topics.catalog import BILLING, CDR, CRM, DEADLETTER, OUTCOMES

    hostile = [
        b"", b"null", b"[]", b"{", b"\xff\xfe\x00", b'{"event_id": 1}', b"NaN",
        orjson.dumps({"event_id": "x", "customer_id": "C000001", "ts": "9999-01-01T00:00:00Z",
                      "kind": "voice", "direction": "out", "duration_s": 1, "counterpart": "1"}),
        b'{"event_id": "y", "customer_id": "C000001", "ts": "2026-01-01T00:00:00Z", '
        b'"kind": "data", "bytes": 1000000000000000000000000000000}',
        "{\"customer_id\": \"\u202e\u0000\"}".encode(),
        b'{"a":' * 1000 + b"1" + b"}" * 1000,
    ]  # fmt: skip
    records = [
        ReplayRecord(topic, "C000001", raw)
        for raw in hostile
        for topic in (CDR, BILLING, CRM, OUTCOMES)
    ]
    with EmbeddedBroker() as broker:
        ensure_topics(Settings(kafka_bootstrap=broker.bootstrap))
        produce_records(broker.bootstrap, records)
        with WorkerProcess(broker.bootstrap, redis_server.url) as worker:
            wait_for_metric(worker, "churnwatch_events_total", lambda n: n >= len(records), 60)
            rejected = metric_sum(worker.metrics_text(), "churnwatch_deadletters_total")
            wait_until(
                lambda: len(read_topic(broker.bootstrap, DEADLETTER, 0.5)) >= rejected,
                timeout=30,
                what="one dead letter per rejection",
            )
            assert rejected == len(records)  # not one of them is a valid event
            assert len(read_topic(broker.bootstrap, DEADLETTER)) == rejected
            assert worker.running
