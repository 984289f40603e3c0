"""The Faust application: `create_app(settings, policy)` wires topics, the state table, the
ingest agent, the publisher and the web views. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import faust
import orjson
from faust.types import TP
from prometheus_client import CollectorRegistry, generate_latest

from agents.kafka import faust_broker_urls, faust_credentials
from agents.metrics import Metrics
from agents.pipeline import Emissions, Pipeline, clock_key
from agents.redis_sink import RedisRiskSink
from agents.store import TableStore
from config.policy import Policy
from config.settings import Settings
from streams.calendar import Calendar
from topics.catalog import ALERTS, BILLING, CDR, CRM, DEADLETTER, OUTCOMES, TASKS

log = logging.getLogger(__name__)
BATCH_MAX = 5000
BATCH_WITHIN_S = 0.05  # a lone event waits at most this long for company


@dataclass
class ChurnApp:
    """The app and the pieces tests and the CLI reach into."""

    app: faust.App
    settings: Settings
    policy: Policy
    metrics: Metrics
    pipeline: Pipeline
    sink: RedisRiskSink
    table: Any


def create_app(
    settings: Settings, policy: Policy, registry: CollectorRegistry | None = None
) -> ChurnApp:
    app = faust.App(
        settings.app_id,
        broker=faust_broker_urls(settings.require_bootstrap()),
        broker_credentials=faust_credentials(settings.security),
        store=settings.store,
        datadir=f"{settings.data_dir}/{settings.app_id}",
        topic_partitions=settings.partitions,
        topic_replication_factor=1,
        key_serializer="raw",
        value_serializer="raw",
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=max(0.5, settings.session_timeout_s / 5),
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        table_standby_replicas=0,
        stream_wait_empty=False,
        # Deep buffers: the ingest task drains them in batches, and a full buffer pauses the
        # partition's fetching, which costs a round trip to resume.
        stream_buffer_maxsize=32768,
        broker_max_poll_records=5000,
        autodiscover=False,
    )
    metrics = Metrics(registry or CollectorRegistry())
    # Keys and values are bytes on the wire (the app's serializers are raw): we serialise
    # CustomerState ourselves, compactly, and write changed customers once per batch.
    table = app.Table(
        "customer-state", default=None, key_type=bytes, value_type=bytes,
        partitions=settings.partitions,
    )  # fmt: skip
    store = TableStore(table, settings.partitions)
    pipeline = Pipeline(policy, Calendar(settings.tz), settings.partitions, metrics, store)
    sink = RedisRiskSink(settings.redis_url, settings.redis_prefix, metrics)
    churn = ChurnApp(app, settings, policy, metrics, pipeline, sink, table)
    _wire_agent(churn, store)
    _wire_web(churn)
    _wire_rebalance(churn)
    return churn


def _wire_agent(churn: ChurnApp, store: TableStore) -> None:
    app = churn.app
    source = app.topic(CDR, BILLING, CRM, OUTCOMES, key_serializer="raw", value_serializer="raw")
    outputs = {
        name: app.topic(name, key_serializer="raw", value_serializer="raw")
        for name in (ALERTS, TASKS, DEADLETTER)
    }
    offsets = OffsetTracker(app)

    # Subscribed without an agent: the Stream machinery costs ~200 us per event, so we drain
    # the topic's delivery queue in batches ourselves and ack each event once its outputs and
    # state are on the broker. One consumer task: in-order, like an agent at concurrency 1.
    app.topics.add(source)

    @app.task
    async def ingest() -> None:
        queue = source.queue
        while not app.should_stop:
            events = await next_batch(queue)
            messages = [event.message for event in events]
            idle = await offsets.idle_after(messages)
            emissions = churn.pipeline.process(messages, idle)
            await publish(churn, outputs, store, emissions)
            for event in events:
                event.ack()

    @app.timer(interval=5.0)
    async def observe() -> None:
        churn.pipeline.observe_clocks()


async def publish(
    churn: ChurnApp, outputs: dict[str, Any], store: TableStore, em: Emissions
) -> None:
    """Outputs first, state second, both awaited before the batch is acknowledged: a crash
    in between replays the batch, which re-emits the same ids and never loses an alert."""
    now = time.time()
    sends = [
        *[(ALERTS, a.customer_id, a.to_wire(now)) for a in em.alerts],
        *[(TASKS, t.customer_id, t.to_wire()) for t in em.tasks],
        *[(DEADLETTER, None, d.to_wire()) for d in em.deadletters],
    ]
    futures = [
        await outputs[topic].send(
            key=key.encode() if key else None, value=orjson.dumps(value), force=True
        )
        for topic, key, value in sends
    ]
    await asyncio.gather(*futures)
    writes = [await store.write(p, s.customer_id.encode(), s.to_bytes()) for p, s in em.states]
    await asyncio.gather(*writes)
    # Each partition's clock record last and on its own: Tansu reports a partition's high
    # watermark as its last record batch's base offset + 1, and Faust's table recovery reads
    # only up to it, so the last batch must hold one record for recovery to read everything.
    await asyncio.gather(*[await store.write(p, clock_key(p), c.to_bytes()) for p, c in em.clocks])
    await churn.sink.write(em.risk)
    if em.oldest_timestamp is not None:
        churn.metrics.latency.observe(max(0.0, time.time() - em.oldest_timestamp))
        churn.metrics.last_event.set(time.time())


async def next_batch(queue: Any) -> list[Any]:
    """Wait for one event, then collect more until the batch is full or `BATCH_WITHIN_S` has
    passed: outputs and state are published once per batch, so batch size buys throughput,
    and the linger bounds what it costs in latency."""
    events = [await queue.get()]
    deadline = asyncio.get_running_loop().time() + BATCH_WITHIN_S
    while len(events) < BATCH_MAX:
        try:
            events.append(queue.get_nowait())
            continue
        except asyncio.QueueEmpty:
            pass
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            break
        try:
            events.append(await asyncio.wait_for(queue.get(), remaining))
        except TimeoutError:
            break
    return events


class OffsetTracker:
    """Knows, per input partition, whether everything written to it has been processed —
    what lets a partition's event-time clock stop waiting for a topic that has gone quiet."""

    def __init__(self, app: faust.App) -> None:
        self.app = app
        self.processed: dict[tuple[str, int], int] = {}

    async def idle_after(self, messages: list[Any]) -> dict[tuple[str, int], bool]:
        for m in messages:
            self.processed[(m.topic, m.partition)] = m.offset + 1
        partitions = {m.partition for m in messages}
        idle: dict[tuple[str, int], bool] = {}
        for partition in partitions:
            for topic in (CDR, BILLING, CRM):
                idle[(topic, partition)] = await self._caught_up(TP(topic, partition))
        return idle

    async def _caught_up(self, tp: TP) -> bool:
        consumer = self.app.consumer
        try:
            highwater = consumer.highwater(tp)
        except Exception:  # not assigned yet, or no fetch metadata
            return False
        if highwater is None:
            return False
        position = self.processed.get((tp.topic, tp.partition))
        if position is None:
            position = await consumer.position(tp)
        return position is not None and position >= highwater


def _wire_web(churn: ChurnApp) -> None:
    app = churn.app

    @app.page("/metrics")
    async def metrics_view(web: Any, request: Any) -> Any:
        churn.pipeline.observe_clocks()
        body = generate_latest(churn.metrics.registry)
        return web.bytes(body, content_type="text/plain; version=0.0.4")

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        report = readiness(churn)
        return web.json(report, status=200 if report["ready"] else 503)


def readiness(churn: ChurnApp) -> dict[str, Any]:
    app = churn.app
    tables: Any = app.tables
    recovered = tables.recovery.completed.is_set()
    assigned = bool(app.consumer.assignment()) if app.consumer is not None else False
    return {
        "ready": recovered and assigned and not app.rebalancing,
        "partitions_assigned": assigned,
        "recovery_finished": recovered,
        "redis": "ok" if churn.sink.healthy else "degraded",
    }


def _wire_rebalance(churn: ChurnApp) -> None:
    @churn.app.on_partitions_revoked.connect
    async def on_revoked(app: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        revoked: set[TP] = args[0] if args else kwargs.get("revoked", set())
        churn.pipeline.forget({tp.partition for tp in revoked if tp.topic == CDR})
