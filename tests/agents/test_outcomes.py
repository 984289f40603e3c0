"""The care desk's outcomes close the loop on the live worker: a declined offer suppresses the
next task of that action (the next fitting rule is used instead), as in the oracle."""

from __future__ import annotations

import orjson
import pytest

from churnwatch.commands import ensure_topics
from churnwatch.worker_process import WorkerProcess
from config.policy import Policy
from config.settings import Settings
from embedded.services import EmbeddedBroker, EmbeddedRedis
from streams.calendar import Calendar
from streams.offline import ReplayRecord, run_offline
from tests.support.live import produce_records, wait_for_records
from tests.support.story import Story, at, merged
from topics.catalog import OUTCOMES, TASKS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def story() -> list[ReplayRecord]:
    customer = Story("C000001").steady(0, 60).call(40, 3, to="10010", hour=15)
    customer.crm(50, "port_out_request", hour=10)
    return merged(customer, Story("C000009").steady(0, 61))


def with_outcome(records: list[ReplayRecord], task_id: str, day: int) -> list[ReplayRecord]:
    # Noon: the care desk answers after the task reached it (the day-close evaluation that made
    # it runs once the event-time clock is past midnight plus the evaluation delay).
    value = {"task_id": task_id, "customer_id": "C000001", "ts": at(day, 12),
             "outcome": "declined"}  # fmt: skip
    outcome = ReplayRecord(OUTCOMES, "C000001", orjson.dumps(value))
    cut = next(i for i, r in enumerate(records) if orjson.loads(r.value)["ts"] > value["ts"])
    return [*records[:cut], outcome, *records[cut:]]


def test_a_declined_offer_is_not_made_again_and_the_next_rule_steps_in(
    redis_server: EmbeddedRedis,
) -> None:
    undisturbed = run_offline(story(), Policy(), Calendar())
    first, second = [t for t in undisturbed.tasks if t.customer_id == "C000001"]
    assert first.action == second.action == "retention_call"  # without the decline
    records = with_outcome(story(), first.task_id, 41)
    oracle = run_offline(records, Policy(), Calendar())
    actions = [t.action for t in oracle.tasks if t.customer_id == "C000001"]
    assert actions == ["retention_call", "special_tariff"]
    with EmbeddedBroker() as broker:
        ensure_topics(Settings(kafka_bootstrap=broker.bootstrap))
        produce_records(broker.bootstrap, records)
        with WorkerProcess(broker.bootstrap, redis_server.url):
            tasks = wait_for_records(broker.bootstrap, TASKS, lambda r: len(r) >= 2, 120)
    assert [t["action"] for t in tasks] == actions
    assert {t["task_id"] for t in tasks} == {t.task_id for t in oracle.tasks}
