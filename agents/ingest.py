"""The hot path: our own consumer in the Faust app, reading the input topics in batches.

Faust's per-event stream machinery costs ~200 us an event (measured here: a no-op agent tops
out near 7.5k events/s), so the worker reads with a batched aiokafka consumer instead, and keeps
Faust for what it does well around it: the web server, timers and the process lifecycle.

One batch at a time: decode and apply (the pipeline), then publish its outputs. Every commit
interval, what changed on a partition since its last cut is cut at a batch boundary, the
partitions in turns (`agents.cut`), and serialised a slice per batch; once it is, in order:
the state of every customer in the cut, the clocks, the serving store, then the offsets of
every batch the cut covers on its partitions — so a crash
anywhere replays the batches since the last commit, which re-emit the same ids and
double-count nothing (re-delivered events are deduped by `event_id`). A quiet input cuts at
once; a revocation or a stop writes everything at once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Collection, Iterable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor

from agents.changelog import ChangelogStore
from agents.changelog_writer import ChangelogWriter
from agents.cut import Cut, PendingState
from agents.heap import GcCallback, Heap, watch_pauses
from agents.history import HistoryWriter
from agents.metrics import Metrics
from agents.pipeline import Emissions, Pipeline
from agents.redis_sink import RedisRiskSink
from agents.task_guard import TaskGuard
from config.settings import Settings
from streams.state import CustomerState
from topics.catalog import ALERTS, CLOCK_TOPICS, DEADLETTER, INPUT_TOPICS, INTERNAL_TOPICS, TASKS
from topics.inputs import TOO_LARGE
from topics.records import KEY_KEPT_BYTES, NO_SOURCE, DeadLetter

log = logging.getLogger(__name__)
BATCH_MAX = 5000
POLL_MS = 100
# How long the broker may hold a fetch that finds nothing new. The embedded broker (Tansu)
# answers such a fetch late when data comes: a lone event reached the worker after 125 ms
# (p50; 239 ms max) at aiokafka's 500 ms default, 21 ms (55 ms max) at 100. Under load 20 ms
# did worse: the extra fetches cost the busy worker more than they saved.
FETCH_WAIT_MS = 100
# A partition's state goes to the changelog every `Settings.commit_interval_s` (all of them
# sooner when this many customers wait): a customer active in ten batches a second is
# written once, not ten times.
# Outputs do not wait: they go out with every batch.
FLUSH_EVERY_S = Settings.commit_interval_s
FLUSH_MAX_STATES = 50_000
# States serialised after each batch while a cut is open: ~30 ms at ~30 us a state, so a
# cut of 10k customers is written within a second or two of batches, never in one pause.
SLICE_STATES = 1000
# The producer's largest request (aiokafka's default, set explicitly) and the largest record we
# hand it, with room for the record batch's own framing.
MAX_REQUEST_BYTES = 1024 * 1024
MAX_RECORD_BYTES = MAX_REQUEST_BYTES - 16 * 1024


class Ingest:
    def __init__(
        self,
        client_config: dict[str, Any],
        group_id: str,
        session_timeout_s: float,
        pipeline: Pipeline,
        store: ChangelogStore,
        sink: RedisRiskSink,
        metrics: Metrics,
        guard: TaskGuard,
        writer: ChangelogWriter,
        flush_every_s: float = FLUSH_EVERY_S,
        heap: Heap | None = None,
        idle_timeout_s: float = Settings.idle_timeout_s,
        history: HistoryWriter | None = None,
    ) -> None:
        self.client_config, self.group_id = client_config, group_id
        self.session_timeout_ms = int(session_timeout_s * 1000)
        self.pipeline, self.store, self.sink, self.metrics = pipeline, store, sink, metrics
        self.guard, self.writer = guard, writer
        self.pending = PendingState()
        self.cut: Cut | None = None  # being serialised; written once it is
        self.writing: asyncio.Task[None] | None = None  # the last cut's write, in the background
        pipeline.before_change = self._before_change
        self.flush_every_s = flush_every_s
        self.heap = heap or Heap()
        self.quiet = QuietInputs(idle_timeout_s)
        self.history = history
        self._idle_before: dict[int, frozenset[str]] = {}  # what each partition's clock last saw
        self._gc_watch: GcCallback | None = None
        self._gc_thresholds: tuple[int, ...] | None = None  # to restore on stop
        self.lock = asyncio.Lock()  # one batch or one rebalance step at a time
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None
        self.recovering = False
        self.stopping = False
        self.failed: Exception | None = None  # a flush failed where it could not be raised

    @property
    def halted(self) -> bool:
        """Stopping, or failed where only a restart is safe: no batch, no flush."""
        return self.stopping or self.failed is not None

    @property
    def assigned(self) -> bool:
        return bool(self.consumer is not None and self.consumer.assignment())

    async def start(self) -> None:
        self._gc_watch = watch_pauses(self.metrics.gc_pause)
        self._gc_thresholds = self.heap.adopt()
        self.producer = AIOKafkaProducer(
            acks="all", linger_ms=5, max_request_size=MAX_REQUEST_BYTES, **self.client_config
        )
        await self.producer.start()
        self.consumer = AIOKafkaConsumer(
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=BATCH_MAX,
            fetch_max_wait_ms=FETCH_WAIT_MS,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(500, self.session_timeout_ms // 5),
            # Range assignment gives a worker the same partition numbers of every input
            # topic: all of a customer's events, whichever topic, meet in one engine.
            partition_assignment_strategy=(RangePartitionAssignor,),
            **self.client_config,
        )
        topics = [*INPUT_TOPICS, *INTERNAL_TOPICS]
        self.consumer.subscribe(topics, listener=_Rebalance(self))
        await self.consumer.start()

    async def stop(self) -> None:
        self.stopping = True
        async with self.lock:
            # After a failed revocation flush the pending state holds partitions we lost.
            if self.consumer is not None and self.producer is not None and self.failed is None:
                await self.flush()
            if self.consumer is not None:
                await self.consumer.stop()
            if self.producer is not None:
                await self.producer.stop()
        await asyncio.to_thread(self.writer.close)
        await self.sink.close()
        if self._gc_watch in gc.callbacks:
            gc.callbacks.remove(self._gc_watch)
        if self._gc_thresholds is not None:
            gc.set_threshold(*self._gc_thresholds)

    async def run(self) -> None:
        while not self.stopping:
            if self.failed is not None:
                # Crash the worker: a restart replays from the last commit, consistently.
                raise self.failed
            await self.step()

    async def step(self) -> None:
        consumer = self.consumer
        assert consumer is not None, "start() first"
        batches = await consumer.getmany(timeout_ms=POLL_MS, max_records=BATCH_MAX)
        self.quiet.heard(batches)
        async with self.lock:
            if self.halted:
                return
            owned = consumer.assignment()
            batches = {tp: records for tp, records in batches.items() if tp in owned}
            messages = [record for records in batches.values() for record in records]
            idle = await self._idle({tp.partition for tp in owned})
            # A partition that got nothing may still have a clock to move: an input of it
            # has now been quiet long enough to stop waiting for.
            moved = self._idle_changed(idle) - {tp.partition for tp in batches}
            if messages or moved:
                emissions = self.pipeline.process(messages, idle, also=moved)
                await self.publish(emissions)
                self.pending.add(emissions, {tp: rs[-1].offset + 1 for tp, rs in batches.items()})
            # A quiet input still gets its state out, a slice a poll.
            await self.flush_slice(quiet=not batches)
            if messages or moved:
                self.pipeline.observe_clocks()
                await self.observe_lag()

    def _idle_changed(self, idle: dict[tuple[str, int], bool]) -> set[int]:
        """The partitions whose set of finished inputs differs from what their clock last saw."""
        now: dict[int, set[str]] = {}
        for (topic, partition), finished in idle.items():
            found = now.setdefault(partition, set())
            if finished:
                found.add(topic)
        changed = set()
        for partition, topics in now.items():
            frozen = frozenset(topics)
            if self._idle_before.get(partition) != frozen:
                self._idle_before[partition] = frozen
                changed.add(partition)
        return changed

    async def flush_slice(self, quiet: bool = False) -> None:
        """A slice of the open cut; the cut written once serialised; a new one when due, or
        at once when the input is `quiet` (an empty poll: nothing is coming to wait for).
        Not all at once on a quiet poll: one can come between two batches of busy input."""
        written = self._written()
        if self.cut is None:
            pending = self.pending
            due = pending.partitions if quiet else pending.due(self.flush_every_s, FLUSH_MAX_STATES)
            self._seal(due)
        if self.cut is not None:
            self.cut.serialise(SLICE_STATES)
            if self.cut.serialised and written:
                # In the background: batches go on while the broker acknowledges. One write
                # at a time, so cuts land and commit in order.
                self.writing, self.cut = asyncio.create_task(self.write(self.cut)), None

    def _written(self) -> bool:
        """Whether the last background write is over; raises what made it fail (the worker
        then stops, and its successor replays from the last commit)."""
        if self.writing is None:
            return True
        if not self.writing.done():
            return False
        self.writing.result()
        self.writing = None
        return True

    async def flush(self) -> None:
        """Everything processed so far, written now: the open cut, then the rest (a
        revocation or a stop)."""
        if self.writing is not None:
            await asyncio.wait([self.writing])
            self._written()
        if self.cut is None:
            self._seal(self.pending.partitions)
        while self.cut is not None:  # the open cut, then one of what came after it
            self.cut.serialise()
            await self.write(self.cut)
            self.cut = None  # only once committed: a failed write is retried whole
            self._seal(self.pending.partitions)

    def _seal(self, partitions: Collection[int]) -> None:
        """What is pending for `partitions` becomes the open cut (when anything is)."""
        if partitions:
            self.cut = Cut(self.pending.take(partitions))

    async def write(self, cut: Cut) -> None:
        """State, then clocks, then the serving store, then the offsets of every batch they
        cover: a crash before the commit replays those batches, whose outputs are already out
        and come again with the same ids. One write at a time (callers hold the lock, or
        `writing`), so a failed write is never skipped by a later commit."""
        await self.writer.write(cut.records())
        self.metrics.bookkeeping_shed.labels("event_ids").inc(cut.shed_ids)
        self.metrics.bookkeeping_shed.labels("facts").inc(cut.shed_facts)
        # Clocks last and alone, so each partition's final record batch holds one record:
        # the embedded broker's high watermark is then exact for any reader that trusts it.
        await self.writer.write(cut.clocks)
        await self.sink.write(cut.risk)
        consumer = self.consumer
        assert consumer is not None
        if cut.offsets:  # none when only a clock moved (an input went quiet)
            started = time.perf_counter()
            await consumer.commit(cut.offsets)
            self.metrics.commit_latency.observe(time.perf_counter() - started)
        self.heap.settle()  # what survived this long is long-lived: see agents.heap

    def _before_change(self, state: CustomerState) -> None:
        if self.cut is not None:
            self.cut.before_change(state)

    async def observe_lag(self) -> None:
        consumer = self.consumer
        if consumer is None:
            return
        lag: dict[str, int] = dict.fromkeys([*INPUT_TOPICS, *INTERNAL_TOPICS], 0)
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                lag[tp.topic] += max(0, highwater - await consumer.position(tp))
        for topic, behind in lag.items():
            self.metrics.consumer_lag.labels(topic).set(behind)

    async def _idle(self, partitions: set[int]) -> dict[tuple[str, int], bool]:
        """Whether each clock topic of these partitions is finished for now: nothing left to
        read, and nothing new for the idle timeout. What lets a partition's event-time clock
        stop waiting for a topic that has gone quiet, and only then."""
        consumer = self.consumer
        assert consumer is not None
        idle: dict[tuple[str, int], bool] = {}
        for partition in partitions:
            for topic in CLOCK_TOPICS:
                tp = TopicPartition(topic, partition)
                highwater = consumer.highwater(tp)
                caught_up = highwater is not None and await consumer.position(tp) >= highwater
                idle[(topic, partition)] = caught_up and self.quiet.quiet(tp)
        return idle

    async def publish(self, em: Emissions) -> None:
        """A batch's outputs, awaited: on the broker before any state that records them."""
        producer = self.producer
        assert producer is not None
        now = time.time()
        tasks = await self.guard.claim(em.tasks)  # none a replay already delivered
        outputs = [
            *[(ALERTS, a.customer_id.encode(), a.to_wire(now)) for a in em.alerts],
            *[(TASKS, t.customer_id.encode(), t.to_wire()) for t in tasks],
            *[(DEADLETTER, _head(d.key), d.to_wire()) for d in em.deadletters],
        ]
        records = [(t, k, _json(v)) for t, k, v in outputs]
        # Contact-graph news is an output too: out before the state that no longer owes it.
        records += [(r.topic, r.key.encode(), r.value) for r in em.internal]
        sends = [
            await producer.send(t, v, key=k)
            for t, k, v in bounded(records, now, self.pipeline.deadletter_raw, self.metrics)
        ]
        await _delivered(sends)
        await self.guard.mark_sent(tasks)
        if self.history is not None:  # the console's history, once the outputs are out
            await self.history.record(em.alerts, tasks, em.outcomes)
        if em.oldest_timestamp is not None:
            self.metrics.latency.observe(max(0.0, now - em.oldest_timestamp))
        self.metrics.last_event.set(now)

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.lock:  # the batch in flight finishes first; its state goes out now
            try:
                await self.flush()
            except Exception as exc:
                # aiokafka only logs a listener's error and carries on with the rebalance: the
                # unwritten state of partitions we lose must not be written later (their new
                # owner has them), so the worker stops and its successor replays.
                log.exception("state flush failed while partitions were revoked")
                self.failed = exc
                self.cut, self.pending = None, PendingState()  # never to be written: see above
                self.writing = None
            finally:
                self.pipeline.forget({tp.partition for tp in revoked})
                self.metrics.rebalances.inc()

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        self.quiet.heard(assigned)  # a partition just got: waited for from now, as if it spoke
        for partition in {tp.partition for tp in assigned}:
            self._idle_before.pop(partition, None)
        fresh = {tp.partition for tp in assigned} - set(self.pipeline.engines)
        self.recovering = True
        try:
            await self.store.recover(fresh)
        finally:
            self.recovering = False
        self.heap.settle()  # the recovered states: walked once, not at every full collection


class QuietInputs:
    """When each input partition last brought records: one counts as quiet once it has brought
    nothing for `timeout_s` of wall-clock time. Kafka Streams' `max.task.idle.ms`, Flink's
    `withIdleness`: a feed between two files, or a history still being produced, is not
    finished because the worker has read all of it that exists yet."""

    def __init__(self, timeout_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout_s, self.clock = timeout_s, clock
        self.last: dict[TopicPartition, float] = {}

    def heard(self, partitions: Iterable[TopicPartition]) -> None:
        now = self.clock()
        for tp in partitions:
            self.last[tp] = now

    def quiet(self, tp: TopicPartition) -> bool:
        last = self.last.get(tp)
        return last is None or self.clock() - last >= self.timeout_s


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.ingest.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.ingest.on_assigned(assigned)


def _json(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)


def _head(key: bytes | None) -> bytes | None:
    """A dead letter's own key: the refused record's, cut to what the letter keeps of it."""
    return key[:KEY_KEPT_BYTES] if key is not None else None


def bounded(
    records: list[tuple[str, bytes | None, bytes]], now: float, raw_mode: str, metrics: Metrics
) -> list[tuple[str, bytes | None, bytes]]:
    """`records` with any the producer would refuse (over `MAX_RECORD_BYTES`) replaced by a
    dead letter that says so: one oversized output must cost that record, never the worker
    (a refused send would crash it, and its successor on the same input)."""
    kept: list[tuple[str, bytes | None, bytes]] = []
    for topic, key, value in records:
        size = len(value) + (len(key) if key is not None else 0)
        if size <= MAX_RECORD_BYTES:
            kept.append((topic, key, value))
            continue
        log.error("an output record for %s of %d bytes was replaced by a dead letter", topic, size)
        metrics.deadletters.labels(TOO_LARGE).inc()
        letter = DeadLetter(
            topic=topic, partition=NO_SOURCE, offset=NO_SOURCE, key=key, code=TOO_LARGE,
            detail=f"output record of {size} bytes exceeds the producer's {MAX_RECORD_BYTES}",
            raw=value, at=now, raw_mode=raw_mode,
        )  # fmt: skip
        kept.append((DEADLETTER, _head(key), _json(letter.to_wire())))
    return kept


async def _delivered(futures: list[Any]) -> None:
    if futures:
        await asyncio.gather(*futures)
