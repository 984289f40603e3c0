"""`churnwatch demo`: embedded broker and Redis, a worker, the simulator — and a readable feed
of alerts and tasks as they happen, closed by a summary scored against the ground truth."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from churnwatch.commands import ensure_topics
from churnwatch.tail import tail_topic
from churnwatch.worker_process import WorkerProcess, metric_sum
from config.settings import Settings
from sim.model import GroundTruth
from topics.catalog import ALERTS, TASKS

LEVEL_MARK = {"medium": "!", "high": "!!", "critical": "!!!"}


@contextlib.contextmanager
def demo_services(settings: Settings) -> Iterator[tuple[str, str]]:
    """The configured broker and Redis, or embedded ones when none is configured."""
    if settings.kafka_bootstrap:
        yield settings.kafka_bootstrap, settings.redis_url
        return
    from embedded.services import embedded_services

    print("starting embedded Kafka-compatible broker (Tansu) and redis-server ...", flush=True)
    with embedded_services() as services:
        yield services.bootstrap, services.redis_url


def run_demo(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    workdir = Path(tempfile.mkdtemp(prefix="churnwatch-demo-"))
    with demo_services(settings) as (bootstrap, redis_url):
        settings = settings.with_overrides(kafka_bootstrap=bootstrap, redis_url=redis_url)
        ensure_topics(settings)
        history = _produce_history(args, settings, workdir)
        # The worker starts on history already in the topics, as on an operator's backfill: read
        # while it was still being produced at many times real speed, a topic can look caught
        # up before more of its past arrives (docs/reliability.md), and the run then differs
        # from the replay it stands for.
        # The demo plays months of history in a minute as if they were live: their care tasks
        # are made as a live run made them, though most would have expired by now.
        worker = WorkerProcess(bootstrap, redis_url, env={"CHURNWATCH_BACKFILL_TASKS": "1"})
        with worker:
            print(f"worker up: metrics at {worker.url}/metrics", flush=True)
            return _run(args, settings, worker, history)


@dataclass(frozen=True)
class History:
    truths: list[GroundTruth]
    produced: int
    truth_path: Path


def _produce_history(args: argparse.Namespace, settings: Settings, workdir: Path) -> History:
    from sim.population import SimConfig, simulate, write_truth_csv
    from sim.produce import produce

    config = SimConfig(
        customers=args.customers, days=args.days, seed=args.seed, start=history_start(args.days)
    )
    truths, records = simulate(config)
    truth_path = workdir / "truth.csv"
    write_truth_csv(truths, truth_path)
    started = time.monotonic()
    produced = produce(records, settings.require_bootstrap(), progress=not args.quiet)
    print(f"\nproduced {produced} events in {time.monotonic() - started:.1f} s", flush=True)
    return History(truths, produced, truth_path)


def history_start(days: int, today: date | None = None) -> date:
    """The Monday that makes a history of `days` days end before today: the demo plays the
    recent past, dated as the console and the API show it."""
    start = (today or date.today()) - timedelta(days=days)
    return start - timedelta(days=start.weekday())


def _run(
    args: argparse.Namespace, settings: Settings, worker: WorkerProcess, history: History
) -> int:
    feed = Feed(settings, quiet=args.quiet)
    feed.start()
    _wait_caught_up(
        worker, history.produced, time.monotonic() + args.duration, settings.idle_timeout_s
    )
    feed.stop()
    print(
        summary(history.truths, feed.alerts, feed.tasks, worker.metrics_text(), history.truth_path)
    )
    return 0


def _wait_caught_up(
    worker: WorkerProcess, produced: int, deadline: float, idle_timeout_s: float
) -> None:
    """Until the worker has read every event and its inputs have been quiet for longer than
    its clocks wait for them, so the last day closes are out (or time is up)."""
    last_seen, quiet_since = -1.0, time.monotonic()
    while time.monotonic() < deadline:
        text = worker.metrics_text()
        seen = metric_sum(text, "churnwatch_events_total")
        if seen != last_seen:
            last_seen, quiet_since = seen, time.monotonic()
        if seen >= produced and time.monotonic() - quiet_since > idle_timeout_s + 3.0:
            return
        time.sleep(0.5)
    print(f"stopping at --duration: the worker read {last_seen:.0f} of {produced} events")


class Feed:
    """Prints alerts and tasks as the worker emits them, and keeps them for the summary."""

    def __init__(self, settings: Settings, quiet: bool) -> None:
        self.settings, self.quiet = settings, quiet
        self.alerts: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._follow, args=(ALERTS, self.alerts), daemon=True),
            threading.Thread(target=self._follow, args=(TASKS, self.tasks), daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        time.sleep(1.0)  # let the last records reach the followers
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _follow(self, topic: str, sink: list[dict[str, Any]]) -> None:
        for record in tail_topic(self.settings, topic, True, idle_s=None, stop=self._stop):
            sink.append(record)
            if not self.quiet:
                print(describe(topic, record), flush=True)


def describe(topic: str, record: dict[str, Any]) -> str:
    if topic == TASKS:
        who = "CONTROL (no contact)" if record.get("control") else record["channel"]
        return (
            f"  task  {record['customer_id']} {record['action']} via {who}, "
            f"P{record['priority']}, due {record['due_at']}"
        )
    top = record["reasons"][0]["detail"] if record["reasons"] else "score fell back"
    mark = LEVEL_MARK.get(record["level"], "")
    return (
        f"{record['ts'][:10]} {record['status']:>9} {record['level']:<8}{mark:<3} "
        f"{record['customer_id']} score {record['score']:.2f} [{record['stage']}, "
        f"{record['value_tier']}] {top}"
    )


def summary(
    truths: list[Any], alerts: list[dict[str, Any]], tasks: list[dict[str, Any]],
    metrics: str, truth_path: Path,
) -> str:  # fmt: skip
    first: dict[str, dict[str, Any]] = {}
    for alert in alerts:
        if alert["status"] == "raised":
            first.setdefault(alert["customer_id"], alert)
    churners = [t for t in truths if t.churn_date is not None]
    caught = [t for t in churners if _caught_before(first.get(t.customer_id), t)]
    steady = {t.customer_id for t in truths if t.churn_date is None}
    false_alarms = sorted(c for c in first if c in steady)
    reasons = Counter(a["reasons"][0]["signal"] for a in alerts if a["reasons"])
    levels = Counter(f"{a['status']} {a['level']}" for a in alerts)
    lines = [
        "",
        "=== churnwatch demo summary ===",
        f"events read: {metric_sum(metrics, 'churnwatch_events_total'):.0f}, "
        f"dead-lettered: {metric_sum(metrics, 'churnwatch_deadletters_total'):.0f}",
        f"alerts: {len(alerts)} ({', '.join(f'{k}: {v}' for k, v in sorted(levels.items()))})",
        f"top reasons: {', '.join(f'{k}: {v}' for k, v in reasons.most_common())}",
        f"care tasks: {len(tasks)} ({sum(1 for t in tasks if t.get('control'))} in holdout, "
        f"{metric_sum(metrics, 'churnwatch_stale_tasks_skipped_total'):.0f} not made: already "
        "expired)",
        f"churners caught before churning: {len(caught)} of {len(churners)}",
        f"steady customers alerted: {len(false_alarms)} of {len(steady)}",
        f"ground truth: {truth_path}",
    ]
    missed = [t for t in churners if t not in caught]
    for t in missed[:10]:
        lines.append(f"  missed {t.customer_id} ({t.path}, churned {t.churn_date})")
    return "\n".join(lines)


def _caught_before(alert: dict[str, Any] | None, truth: Any) -> bool:
    return alert is not None and alert["ts"][:10] < truth.churn_date.isoformat()
