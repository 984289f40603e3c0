"""Social churn through the live worker: a churned customer's news travels the internal topics
(number directory -> contact churn -> social) to its contacts' partitions, as in the oracle."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from churnwatch.commands import ensure_topics
from churnwatch.worker_process import WorkerProcess
from config.settings import Settings
from embedded.process import wait_until
from embedded.services import EmbeddedBroker, EmbeddedRedis
from streams.offline import run_offline
from tests.streams.scenarios import midnight
from tests.streams.test_social import LOUD, UTC, X, _circle
from tests.support.live import produce_records, wait_for_records
from tests.support.story import merged
from topics.catalog import ALERTS, CDR, SOCIAL
from topics.records import rfc3339

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def topic_events(worker: WorkerProcess, topic: str) -> float:
    label = f'churnwatch_internal_events_total{{topic="{topic}"}} '
    lines = [ln for ln in worker.metrics_text().splitlines() if ln.startswith(label)]
    return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0


def test_friends_leaving_raise_a_social_churn_alert_on_the_live_worker(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    records = merged(*_circle())
    oracle = run_offline(records, LOUD, UTC)
    (expected,) = [a for a in oracle.alerts if a.customer_id == X]
    # In real time the news takes milliseconds, well inside the day a churn needs to settle.
    # Replayed history runs months in seconds, so the replay pauses after both friends left
    # until their news has crossed the internal topics, as it would have in real time.
    cut = midnight(44)
    before = [r for r in records if orjson.loads(r.value)["ts"] < rfc3339(cut)]
    after = [r for r in records if orjson.loads(r.value)["ts"] >= rfc3339(cut)]
    assert {r.topic for r in after} == {CDR}  # one topic, in order, for the fast part
    policy = tmp_path / "loud.json"
    policy.write_bytes(orjson.dumps({"score": {"weights": {"social_churn": 6.0}}}))
    with EmbeddedBroker() as broker:
        ensure_topics(Settings(kafka_bootstrap=broker.bootstrap))
        produce_records(broker.bootstrap, before)
        env = {"CHURNWATCH_CONFIG": str(policy)}
        with WorkerProcess(broker.bootstrap, redis_server.url, env=env) as worker:
            # A's news reaches X, B and Z; B's reaches X and Z (and A, who has left).
            wait_until(lambda: topic_events(worker, SOCIAL) >= 5, timeout=120,
                       what="the worker to read the social news")  # fmt: skip
            produce_records(broker.bootstrap, after)
            alerts = wait_for_records(
                broker.bootstrap,
                ALERTS,
                lambda r: any(a["customer_id"] == X for a in r),
                timeout=120,
            )
    (alert,) = [a for a in alerts if a["customer_id"] == X]
    assert alert["alert_id"] == expected.alert_id
    assert alert["reasons"][0]["signal"] == "social_churn"
    assert {a["alert_id"] for a in alerts} == {a.alert_id for a in oracle.alerts}
