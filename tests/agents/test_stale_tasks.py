"""Nothing stale reaches the care desk: a worker reading a backfill makes the alerts of its old
moments but no care task that would already have expired at wall clock; recent moments get
theirs. Counted in churnwatch_stale_tasks_skipped_total."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest

from churnwatch.commands import ensure_topics
from churnwatch.worker_process import WorkerProcess
from config.policy import Policy
from config.settings import Settings
from embedded.services import EmbeddedBroker, EmbeddedRedis
from streams.calendar import Calendar
from streams.offline import OfflineRunner, ReplayRecord
from tests.support.live import produce_records, wait_for_metric, wait_for_records
from tests.support.story import START, Story, merged
from topics.catalog import ALERTS, TASKS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
STAMP = "%Y-%m-%dT%H:%M:%SZ"
LAST_DAY = 61


def _history() -> list[ReplayRecord]:
    """A churner who called a rival's hotline seven weeks ago (stale by now) and asked to port
    out two days ago (fresh), and a steady partition-mate; story day 61 is yesterday."""
    churner = Story("C000001").steady(0, LAST_DAY).call(14, 3, to="10010", hour=15)
    churner.crm(LAST_DAY - 2, "port_out_request", hour=10)
    records = merged(churner, Story("C000009").steady(0, LAST_DAY))
    shift = date.today() - timedelta(days=1) - (START + timedelta(days=LAST_DAY))
    return [_shifted(r, shift) for r in records]


def _shifted(record: ReplayRecord, by: timedelta) -> ReplayRecord:
    value = orjson.loads(record.value)
    value["ts"] = (datetime.strptime(value["ts"], STAMP).replace(tzinfo=UTC) + by).strftime(STAMP)
    return ReplayRecord(record.topic, record.key, orjson.dumps(value))


def _offline(records: list[ReplayRecord], tasks_after: int | None) -> OfflineRunner:
    runner = OfflineRunner(Policy(), Calendar(), tasks_after=tasks_after)
    runner.run(records)
    return runner


def test_the_oracle_makes_the_alerts_of_old_moments_without_their_tasks():
    records = _history()
    now = int(time.time())
    everything = _offline(records, None).result
    fresh_only = _offline(records, now).result
    assert [a.alert_id for a in fresh_only.alerts] == [a.alert_id for a in everything.alerts]
    assert len(everything.tasks) >= 2 and fresh_only.stale_tasks >= 1
    assert fresh_only.tasks and all(t.expires_at > now for t in fresh_only.tasks)
    assert len(fresh_only.tasks) < len(everything.tasks)


def test_the_worker_sends_no_task_that_expired_before_it_read_the_moment(
    redis_server: EmbeddedRedis,
) -> None:
    records = _history()
    oracle = _offline(records, int(time.time())).result
    with EmbeddedBroker() as broker:
        ensure_topics(Settings(kafka_bootstrap=broker.bootstrap))
        produce_records(broker.bootstrap, records)
        env = {"CHURNWATCH_BACKFILL_TASKS": "0"}  # the default: the suite turns it on
        with WorkerProcess(broker.bootstrap, redis_server.url, env=env) as worker:
            alerts = wait_for_records(
                broker.bootstrap, ALERTS, lambda r: len(r) >= len(oracle.alerts), 120
            )
            tasks = wait_for_records(
                broker.bootstrap, TASKS, lambda r: len(r) >= len(oracle.tasks), 30
            )
            skipped = wait_for_metric(
                worker,
                "churnwatch_stale_tasks_skipped_total",
                lambda v: v >= oracle.stale_tasks,
                30,
            )
    assert {a["alert_id"] for a in alerts} == {a.alert_id for a in oracle.alerts}
    assert {t["task_id"] for t in tasks} == {t.task_id for t in oracle.tasks}
    assert skipped == oracle.stale_tasks
