"""Feeds the way operators deliver them, read while they are produced: the worker's alerts and
tasks must be the offline oracle's, which reads the same history in event-time order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import groupby

import orjson
import pytest

from churnwatch.commands import ensure_topics
from churnwatch.worker_process import WorkerProcess, metric_sum
from config.policy import Policy
from config.settings import Settings
from embedded.process import wait_until
from embedded.services import EmbeddedBroker, EmbeddedRedis
from sim.population import SimConfig, simulate
from streams.calendar import Calendar
from streams.offline import ReplayRecord, run_offline
from tests.support.live import produce_files, produce_records, wait_for_metric, wait_for_records
from topics.catalog import ALERTS, CDR, TASKS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(400)]

POPULATION = SimConfig(customers=160, days=60, seed=23)
HOUR = 3600
CDR_LAG_S = 6 * HOUR


@pytest.fixture
def fresh_broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as started:
        ensure_topics(Settings(kafka_bootstrap=started.bootstrap))
        yield started


@pytest.fixture(scope="module")
def history() -> list[ReplayRecord]:
    _, records = simulate(POPULATION)
    return [ReplayRecord(r.topic, r.key, orjson.dumps(r.value)) for r in records]


def test_a_history_produced_unpaced_while_the_worker_reads_gives_the_oracles_alerts(
    fresh_broker: EmbeddedBroker, redis_server: EmbeddedRedis, history: list[ReplayRecord]
) -> None:
    oracle = run_offline(history, Policy(), Calendar())
    with WorkerProcess(fresh_broker.bootstrap, redis_server.url, env=_own("unpaced")) as worker:
        _wait_ready(worker)
        produced = produce_records(fresh_broker.bootstrap, history)  # as fast as it goes
        _assert_same_as(oracle, worker, fresh_broker, produced)


def test_a_cdr_feed_in_hourly_files_six_hours_behind_crm_gives_the_oracles_alerts(
    fresh_broker: EmbeddedBroker, redis_server: EmbeddedRedis, history: list[ReplayRecord]
) -> None:
    oracle = run_offline(history, Policy(), Calendar())
    with WorkerProcess(fresh_broker.bootstrap, redis_server.url, env=_own("hourly")) as worker:
        _wait_ready(worker)
        # Each hour of the other feeds brings the CDR file of six hours ago.
        files = ([r for _, r in hour] for _, hour in groupby(_mediated(history), lambda p: p[0]))
        produced = produce_files(fresh_broker.bootstrap, files)
        _assert_same_as(oracle, worker, fresh_broker, produced)


def _own(name: str) -> dict[str, str]:
    """A Redis namespace of the test's own: the same history gives the same task ids, which
    the shared Redis would otherwise remember as delivered."""
    return {"CHURNWATCH_REDIS_PREFIX": f"churnwatch-feeds-{name}:"}


def _mediated(records: Iterable[ReplayRecord]) -> list[tuple[int, ReplayRecord]]:
    """The records in delivery order: a CDR arrives in the file of its hour, delivered once
    the other feeds are six hours past the hour's end; everything else as it happens."""
    timed = []
    for record in records:
        ts = int(datetime.fromisoformat(orjson.loads(record.value)["ts"]).timestamp())
        delivered = (ts // HOUR + 1) * HOUR + CDR_LAG_S if record.topic == CDR else ts
        timed.append((delivered // HOUR, record))
    timed.sort(key=lambda pair: pair[0])  # stable: within an hour, as produced
    return timed


def _assert_same_as(oracle, worker: WorkerProcess, broker: EmbeddedBroker, produced: int) -> None:
    wait_for_metric(worker, "churnwatch_events_total", lambda n: n >= produced, timeout=180)
    text = worker.metrics_text()
    refused = metric_sum(text, "churnwatch_deadletters_total")
    duplicates = metric_sum(text, "churnwatch_duplicate_events_total")
    assert (refused, duplicates) == (len(oracle.rejected), oracle.duplicates)
    alerts = wait_for_records(
        broker.bootstrap, ALERTS, lambda r: len(r) >= len(oracle.alerts), timeout=90
    )
    tasks = wait_for_records(
        broker.bootstrap, TASKS, lambda r: len(r) >= len(oracle.tasks), timeout=30
    )
    assert oracle.alerts, "a population that alerts nobody shows nothing"
    live = {a["alert_id"]: a for a in alerts}
    expected = {a.alert_id: a for a in oracle.alerts}
    missing = [_told(a.to_wire(0)) for i, a in expected.items() if i not in live]
    extra = [_told(a) for i, a in live.items() if i not in expected]
    assert (missing, extra) == ([], [])
    assert worker.running
    assert {t["task_id"] for t in tasks} == {t.task_id for t in oracle.tasks}


def _told(alert: dict) -> str:
    reasons = ",".join(r["signal"] for r in alert["reasons"])
    return f"{alert['customer_id']} {alert['ts']} {alert['status']} {alert['level']} {reasons}"


def _wait_ready(worker: WorkerProcess) -> None:
    """Partitions assigned and recovered: from here on the worker reads as records arrive."""
    wait_until(worker.is_ready, timeout=60, what="the worker to be ready")
