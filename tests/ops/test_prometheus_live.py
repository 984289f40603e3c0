"""A real Prometheus (Debian's) scraping a real worker that reads a small simulated population:
every dashboard query is valid and returns data, and every rule evaluates without error.

Panels whose metrics the worker does not expose yet are skipped, naming the missing metrics:
they run, and must return data, as soon as the worker declares them on /metrics.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from churnwatch.commands import ensure_topics
from churnwatch.worker_process import WorkerProcess, metric_sum
from config.settings import Settings
from embedded.process import wait_until
from embedded.services import EmbeddedBroker, EmbeddedRedis
from sim.population import SimConfig, simulate
from streams.offline import ReplayRecord
from tests.ops.support import (
    RULE_FILES,
    PrometheusServer,
    dashboard,
    dashboard_panels,
    exposed_names,
    metric_names,
    require_binary,
    substitute_variables,
)
from tests.support.live import as_record, produce_records, wait_for_records
from topics.catalog import CDR, INPUT_TOPICS, OUTCOMES, TASKS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

POPULATION = SimConfig(customers=150, days=60, seed=7)
SCRAPE_S = 1
WAVES = 5
INPUTS = tuple(INPUT_TOPICS)


@dataclass
class Stack:
    prometheus: PrometheusServer
    worker_metrics: str
    started: float  # wall time before the first event was produced
    finished: float  # wall time once Prometheus had scraped the final counts


def _panel_targets() -> list[Any]:
    params = []
    for panel in dashboard_panels(dashboard()):
        for target in panel["targets"]:
            params.append(pytest.param(panel, target, id=f"{panel['title']}[{target['refId']}]"))
    return params


def _prometheus_config(worker_port: int, rule_names: list[str]) -> str:
    rules = "\n".join(f"  - {name}" for name in rule_names)
    return f"""
global:
  scrape_interval: {SCRAPE_S}s
  evaluation_interval: {SCRAPE_S}s
rule_files:
{rules}
scrape_configs:
  - job_name: churnwatch
    static_configs:
      - targets: ["127.0.0.1:{worker_port}"]
"""


def _fast_rules() -> dict[str, str]:
    """The real rule files, with every group evaluated each second instead of its interval."""
    return {
        path.name: re.sub(r"(?m)^(\s+interval:\s*)\S+$", rf"\g<1>{SCRAPE_S}s", path.read_text())
        for path in RULE_FILES
    }


def _history() -> list[list[ReplayRecord]]:
    """The population in waves (event-time order), each with some refused input and some
    re-delivered events: read wave by wave, with a scrape in between, every counter moves
    after its first scrape, so rates and ratios over it have something to show."""
    _, records = simulate(POPULATION)
    replay = [ReplayRecord(r.topic, r.key, orjson.dumps(r.value)) for r in records]
    size = -(-len(replay) // WAVES)
    waves = [replay[i : i + size] for i in range(0, len(replay), size)]
    for number, wave in enumerate(waves):
        wave.extend(
            [
                as_record(CDR, b"{not json", key=f"ops-bad-{number}"),
                as_record(CDR, {"event_id": f"ops-{number}", "customer_id": "C1"}),
                *wave[:: max(1, len(wave) // 10)][:10],  # duplicates of events of this wave
            ]
        )
    return waves


def _outcomes_for(tasks: list[dict[str, Any]]) -> list[ReplayRecord]:
    """Care-desk replies to a few of the tasks the worker emitted."""
    replies = []
    for task, outcome in zip(
        tasks[:6], ("accepted_offer", "retained", "declined") * 2, strict=False
    ):
        when = datetime.fromisoformat(task["created_at"]) + timedelta(hours=6)
        value = {
            "task_id": task["task_id"],
            "customer_id": task["customer_id"],
            "ts": when.isoformat(),
            "outcome": outcome,
        }
        replies.append(as_record(OUTCOMES, value, key=task["customer_id"]))
    return replies


@pytest.fixture(scope="module")
def stack(redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    binary = require_binary("prometheus")
    waves = _history()
    # A large holdout and a short follow-up, so that a 60-day history closes follow-ups in
    # both groups and the save-rate panels have something to divide.
    policy = tmp_path_factory.mktemp("policy") / "policy.json"
    policy.write_text('{"contact": {"holdout_share": 0.5, "followup_days": 7}}')
    with EmbeddedBroker() as broker:
        ensure_topics(Settings(kafka_bootstrap=broker.bootstrap))
        worker = WorkerProcess(
            broker.bootstrap,
            redis_server.url,
            env={
                "CHURNWATCH_REDIS_PREFIX": "churnwatch-ops-test:",
                "CHURNWATCH_CONFIG": str(policy),
            },
        )
        rules = _fast_rules()
        prometheus = PrometheusServer(_prometheus_config(worker.port, sorted(rules)), rules, binary)
        with prometheus, worker:
            wait_until(
                lambda: prometheus.value('up{job="churnwatch"}') == 1.0,
                timeout=20,
                what="Prometheus to scrape the worker",
                interval=0.2,
            )
            started = time.time()
            produced = 0
            for number, wave in enumerate(waves):
                produced += produce_records(broker.bootstrap, wave)
                _wait_counted(prometheus, worker, produced, _last_ts(wave))
                if number == 1:
                    # The care desk answers a few tasks, read in the waves that follow.
                    # Made once the partitions' clocks stop waiting for the quiet inputs.
                    tasks = wait_for_records(broker.bootstrap, TASKS, bool, timeout=30)
                    assert tasks, "the first waves of the history produced no care task"
                    waves[-1].extend(_outcomes_for(tasks))
            yield Stack(prometheus, worker.metrics_text(), started, time.time())


def _last_ts(wave: list[ReplayRecord]) -> float:
    stamps = []
    for record in wave:
        try:
            stamps.append(datetime.fromisoformat(orjson.loads(record.value)["ts"]).timestamp())
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue  # the wave's refused input
    return max(stamps)


def _wait_counted(
    prometheus: PrometheusServer, worker: WorkerProcess, produced: int, last_ts: float
) -> None:
    """Until the worker has read the `produced` input events and its clocks have reached
    `last_ts` (less a day: each partition's own last event), Prometheus has scraped at least
    that count, and scraped once more (so even a series born in this wave has two samples).
    Input topics only: the worker also reads back its own internal topics."""

    def read_by_worker() -> float:
        text = worker.metrics_text()
        return sum(metric_sum(text, f'churnwatch_events_total{{topic="{t}"}}') for t in INPUTS)

    wait_until(
        lambda: read_by_worker() >= produced,
        timeout=90,
        what=f"the worker to read {produced} events",
        interval=0.2,
    )
    behind = time.time() - last_ts + 86_400
    wait_until(
        lambda: 0 < metric_sum(worker.metrics_text(), "churnwatch_watermark_lag_seconds") <= behind,
        timeout=60,
        what="the worker's clocks to reach the end of the wave",
        interval=0.2,
    )
    final = read_by_worker()
    query = f'sum(churnwatch_events_total{{job="churnwatch",topic=~"{"|".join(INPUTS)}"}})'

    def scraped() -> bool:
        value = prometheus.value(query)
        return value is not None and value >= final

    wait_until(scraped, timeout=15, what="Prometheus to scrape the final count", interval=0.2)
    seen = time.time()

    def scraped_again() -> bool:
        last = prometheus.value('timestamp(up{job="churnwatch"})')
        return last is not None and last > seen

    wait_until(scraped_again, timeout=15, what="one more scrape", interval=0.2)


@pytest.mark.parametrize(("panel", "target"), _panel_targets())
def test_panel_query_is_valid_and_returns_data(
    stack: Stack, panel: dict[str, Any], target: dict[str, Any]
) -> None:
    expr = substitute_variables(target["expr"])
    prometheus = stack.prometheus
    if target.get("instant"):
        answer = prometheus.api("query", query=expr, time=f"{stack.finished:.3f}")
    else:
        answer = prometheus.api(
            "query_range",
            query=expr,
            start=f"{stack.started:.3f}",
            end=f"{stack.finished:.3f}",
            step=f"{SCRAPE_S}s",
        )
    assert answer["status"] == "success", f"invalid query {expr!r}: {answer.get('error')}"

    missing = sorted(metric_names(expr) - exposed_names(stack.worker_metrics))
    if missing:
        pytest.skip(f"the worker does not expose {', '.join(missing)} yet (see docs/operations.md)")

    values = [float(v) for series in answer["data"]["result"] for v in _values(series)]
    assert values, f"{panel['title']}: no data for {expr!r}"
    assert any(math.isfinite(v) for v in values), (
        f"{panel['title']}: only NaN / Inf for {expr!r}: {answer['data']['result']}"
    )


def _values(series: dict[str, Any]) -> list[str]:
    if "value" in series:
        return [series["value"][1]]
    return [value for _, value in series["values"]]


def test_every_rule_evaluates_without_error_on_real_metrics(stack: Stack) -> None:
    prometheus = stack.prometheus
    names = {path.name for path in RULE_FILES}

    def evaluated_since_the_data() -> bool:
        groups = prometheus.api("rules")["data"]["groups"]
        return {Path(g["file"]).name for g in groups} == names and all(
            _timestamp(rule["lastEvaluation"]) > stack.finished
            for group in groups
            for rule in group["rules"]
        )

    wait_until(
        evaluated_since_the_data, timeout=15, what="every rule to be evaluated", interval=0.2
    )
    for group in prometheus.api("rules")["data"]["groups"]:
        for rule in group["rules"]:
            assert rule["health"] == "ok", f"{rule['name']}: {rule.get('lastError')}"


def _timestamp(rfc3339: str) -> float:
    # Prometheus writes nanoseconds; Python's parser takes up to microseconds.
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", rfc3339).replace("Z", "+00:00")
    return datetime.fromisoformat(trimmed).timestamp()
