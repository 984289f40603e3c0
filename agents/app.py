"""The Faust application: `create_app(settings, policy)` wires the pipeline, the batched
ingest service, the changelog store, the Redis sink and the web views. Nothing is built at
import time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import faust
import mode
from prometheus_client import CollectorRegistry, generate_latest

from agents.api import RiskApi
from agents.changelog import ChangelogStore
from agents.changelog_writer import ChangelogWriter
from agents.console import add_routes
from agents.history import HistoryWriter
from agents.ingest import Ingest
from agents.kafka import aiokafka_config, confluent_config, faust_broker_urls, faust_credentials
from agents.metrics import Metrics
from agents.pipeline import Pipeline
from agents.redis_sink import RedisRiskSink, redis_client
from agents.task_guard import TaskGuard
from config.policy import Policy
from config.settings import Settings
from streams.calendar import Calendar
from topics.catalog import changelog_topic


@dataclass
class ChurnApp:
    """The app and the pieces tests and the CLI reach into."""

    app: faust.App
    settings: Settings
    policy: Policy
    metrics: Metrics
    pipeline: Pipeline
    ingest: Ingest
    api: RiskApi


def create_app(
    settings: Settings, policy: Policy, registry: CollectorRegistry | None = None
) -> ChurnApp:
    # Faust makes only the last level of its data directory: a new host has none of the rest.
    datadir = Path(settings.data_dir) / settings.app_id
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=faust_broker_urls(settings.require_bootstrap()),
        broker_credentials=faust_credentials(settings.security),
        datadir=str(datadir),
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        autodiscover=False,
    )
    # Faust's own Kafka clients stay off: the ingest service owns the consumer group (two
    # members with different protocols in one group would refuse each other).
    app.boot_strategy = faust.app.base.BootStrategy(app, enable_kafka=False, enable_web=True)
    metrics = Metrics(registry or CollectorRegistry())
    client = aiokafka_config(settings)
    store = ChangelogStore(changelog_topic(settings.app_id), client)
    pipeline = Pipeline(
        policy, Calendar(settings.tz), settings.partitions, metrics, store,
        deadletter_raw=settings.deadletter_raw, backfill_tasks=settings.backfill_tasks,
    )  # fmt: skip
    sink = RedisRiskSink(
        settings.redis_url,
        settings.redis_prefix,
        metrics,
        everyone=pipeline.all_states,
        locale=policy.locale,
    )
    guard = TaskGuard(
        redis_client(settings.redis_url, timeout_s=0.5),
        settings.redis_prefix,
        metrics,
        ttl_s=int((policy.contact.task_expiry_days + 7) * 86_400),
    )
    writer = ChangelogWriter(store.topic, confluent_config(settings))
    history = HistoryWriter(
        redis_client(settings.redis_url, timeout_s=0.5), settings.redis_prefix, metrics
    )
    ingest = Ingest(
        client, settings.app_id, settings.session_timeout_s, pipeline, store, sink, metrics, guard,
        writer, flush_every_s=settings.commit_interval_s, idle_timeout_s=settings.idle_timeout_s,
        history=history,
    )  # fmt: skip
    api = RiskApi(redis_client(settings.redis_url, timeout_s=1.0), settings.redis_prefix, policy)
    churn = ChurnApp(app, settings, policy, metrics, pipeline, ingest, api)
    app.service(_service_for(ingest))
    _wire_web(churn)
    _wire_timers(churn)
    return churn


class IngestService(mode.Service):
    """Runs the ingest loop for as long as the app runs."""

    ingest: ClassVar[Ingest]

    async def on_start(self) -> None:
        await self.ingest.start()

    async def on_stop(self) -> None:
        await self.ingest.stop()

    @mode.Service.task
    async def _consume(self) -> None:
        await self.ingest.run()


def _service_for(ingest: Ingest) -> type[IngestService]:
    # Faust instantiates registered services itself, so the instance travels on the class.
    return type("BoundIngestService", (IngestService,), {"ingest": ingest})


def _wire_web(churn: ChurnApp) -> None:
    app = churn.app

    @app.page("/metrics")
    async def metrics_view(web: Any, request: Any) -> Any:
        churn.pipeline.observe_clocks()
        churn.pipeline.observe_population()
        churn.pipeline.observe_categories()
        body = generate_latest(churn.metrics.registry)
        return web.bytes(body, content_type="text/plain; version=0.0.4")

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        report = readiness(churn)
        return web.json(report, status=200 if report["ready"] else 503)

    # The API's routes (and the console's, when enabled) are the console module's aiohttp
    # handlers, shared with `churnwatch console`.
    def routes(web: Any) -> None:
        add_routes(web.web_app.router, churn.api, churn.settings, churn.policy,
                   churn.settings.console)  # fmt: skip

    app.on_webserver_init = routes  # type: ignore[method-assign]


def _wire_timers(churn: ChurnApp) -> None:
    @churn.app.timer(interval=2.0)
    async def keep_store_in_sync() -> None:
        # Batches retry a lagging store too; this covers a quiet input.
        await churn.ingest.sink.catch_up()

    @churn.app.timer(interval=5.0)
    async def refresh_lag() -> None:
        # After a batch is not enough: a worker that stops getting batches must still
        # report the lag growing behind it.
        await churn.ingest.observe_lag()


def readiness(churn: ChurnApp) -> dict[str, Any]:
    ingest = churn.ingest
    return {
        "ready": ingest.assigned and not ingest.recovering,
        "partitions_assigned": ingest.assigned,
        "recovery_finished": not ingest.recovering,
        "redis": "ok" if ingest.sink.healthy else "degraded",
    }
