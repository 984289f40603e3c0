"""The worker's batch step, independent of Faust: raw messages in, everything to publish out.

Every message is decoded inside its own `try`: whatever a message holds, it is applied, ignored
as a re-delivery, or dead-lettered with a reason — the batch always completes.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from agents.history import TaskOutcome
from agents.metrics import Metrics
from config.policy import Policy
from streams.at_risk import AtRiskTally, by_category, by_level, untasked
from streams.calendar import Calendar
from streams.engine import DUPLICATE, Outbox, PartitionClock, PartitionEngine, unwatched
from streams.evaluate import ChurnObserved
from streams.reasons import NO_CATEGORY
from streams.social import InternalRecord
from streams.state import CustomerState
from topics.catalog import CLOCK_TOPICS, INTERNAL_TOPICS
from topics.inputs import Rejected, decode_event
from topics.records import ALERT_LEVELS as AT_RISK_LEVELS
from topics.records import REASON_CATEGORIES, STAGES, VALUE_TIERS, Alert, CareTask, DeadLetter

log = logging.getLogger(__name__)
CAUGHT_LEAD_S = 7 * 86400


class RawMessage(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int  # broker timestamp, milliseconds


Recovered = tuple[list[CustomerState], PartitionClock | None, list[tuple[str, bytes]]]


class StateStore(Protocol):
    """Where engines' state is kept durably (the changelog topic in the worker): customers,
    the partition clock, and the partition's share of the number directory."""

    def load(self, partition: int) -> Recovered: ...


@dataclass(slots=True)
class Emissions:
    """What one batch produced, in the order it must be made durable."""

    alerts: list[Alert] = field(default_factory=list)
    tasks: list[CareTask] = field(default_factory=list)
    deadletters: list[DeadLetter] = field(default_factory=list)
    states: list[tuple[int, CustomerState]] = field(default_factory=list)
    clocks: list[tuple[int, PartitionClock]] = field(default_factory=list)
    internal: list[InternalRecord] = field(default_factory=list)
    directory: list[tuple[int, str, bytes]] = field(default_factory=list)
    risk: list[CustomerState] = field(default_factory=list)
    outcomes: list[TaskOutcome] = field(default_factory=list)  # for the console's history
    oldest_timestamp: float | None = None


class Pipeline:
    """Holds one engine per assigned partition; turns batches into emissions."""

    def __init__(
        self,
        policy: Policy,
        cal: Calendar,
        partitions: int,
        metrics: Metrics,
        store: StateStore,
        wall_clock: Callable[[], float] = time.time,
        deadletter_raw: str = "masked",
        backfill_tasks: bool = False,
    ) -> None:
        self.policy, self.cal, self.partitions = policy, cal, partitions
        self.backfill_tasks = backfill_tasks  # care tasks for moments long past, too
        # The wall clock no care task may have expired by, as of the batch being processed.
        self._tasks_after: int | None = None
        self.deadletter_raw = deadletter_raw
        self.metrics, self.store, self.wall_clock = metrics, store, wall_clock
        self.engines: dict[int, PartitionEngine] = {}
        # Told before an engine changes a state (see `agents.cut`).
        self.before_change: Callable[[CustomerState], None] = unwatched
        # Customers at risk per partition, recounted after each batch from the states its
        # engine announced: a scrape reads counts, never every state.
        self.at_risk: dict[int, AtRiskTally] = {}

    def engine(self, partition: int) -> PartitionEngine:
        found = self.engines.get(partition)
        if found is None:
            states, clock, directory = self.store.load(partition)
            found = PartitionEngine(
                partition, self.partitions, self.policy, self.cal, states, clock, directory
            )
            tally = AtRiskTally(self.policy.contact, self.policy.reason_category.fallback)
            self.at_risk[partition] = tally.observe_all(states)
            found.before_change = self._watch(tally)
            found.tasks_after = self._tasks_after
            self.engines[partition] = found
        return found

    def _watch(self, tally: AtRiskTally) -> Callable[[CustomerState], None]:
        announced = tally.announced  # the dict itself: this runs for nearly every event

        def before_change(state: CustomerState) -> None:
            announced[state.customer_id] = state
            self.before_change(state)  # looked up at each call: the wiring may set it later

        return before_change

    def all_states(self) -> Iterable[CustomerState]:
        """Every customer this worker owns now."""
        for engine in list(self.engines.values()):
            yield from list(engine.states.values())

    def forget(self, partitions: Iterable[int]) -> None:
        """Partitions revoked: their state now belongs to another worker."""
        for partition in partitions:
            self.engines.pop(partition, None)
            self.at_risk.pop(partition, None)

    def process(
        self,
        messages: Sequence[RawMessage],
        idle: Mapping[tuple[str, int], bool],
        also: Collection[int] = (),
    ) -> Emissions:
        """Apply a batch; `idle[(topic, partition)]` says whether that input is finished for
        now once the batch is applied (missing: not known to be). The clocks of the batch's
        partitions move, and those of `also` (partitions with news only of idleness)."""
        started = time.perf_counter()
        out = Emissions()
        touched: set[int] = set()
        now = self.wall_clock()
        if not self.backfill_tasks:  # no task that would reach the desk already expired
            self._tasks_after = int(now)
            for engine in self.engines.values():
                engine.tasks_after = self._tasks_after
        for message in messages:
            self._one(message, now, out)
            touched.add(message.partition)
        if messages:
            out.oldest_timestamp = min(m.timestamp for m in messages) / 1000.0
        self._count_read(messages)
        for partition in sorted(touched | {p for p in also if p in self.engines}):
            engine = self.engine(partition)
            engine.advance({t for t in CLOCK_TOPICS if idle.get((t, partition), False)})
            self._drain(partition, engine, out)
        for tally in self.at_risk.values():
            tally.recount()
        self.metrics.batch.observe(time.perf_counter() - started)
        return out

    def _count_read(self, messages: Sequence[RawMessage]) -> None:
        """Events read, by topic: once a batch, not once an event (a labelled counter costs
        more than a small event's whole validation)."""
        for topic, count in Counter(m.topic for m in messages).items():
            metric = (
                self.metrics.internal_events if topic in INTERNAL_TOPICS else self.metrics.events
            )
            metric.labels(topic).inc(count)

    def _one(self, message: RawMessage, now: float, out: Emissions) -> None:
        try:
            outcome = self._apply(message, now)
        except Exception as exc:  # a bug must cost one message, never the worker
            log.exception("unexpected error on %s/%s@%s", message.topic, message.partition,
                          message.offset)  # fmt: skip
            outcome = Rejected("bad_type", f"could not be processed: {type(exc).__name__}")
        if isinstance(outcome, Rejected):
            self.metrics.deadletters.labels(outcome.code).inc()
            out.deadletters.append(_deadletter(message, outcome, now, self.deadletter_raw))
        elif outcome == DUPLICATE:
            self.metrics.duplicates.labels(message.topic).inc()

    def _apply(self, message: RawMessage, now: float) -> Rejected | str | None:
        if message.topic in INTERNAL_TOPICS:
            return self._apply_internal(message)
        ingest = self.policy.ingest
        event = decode_event(
            message.topic, message.value, now=now, max_bytes=ingest.max_message_bytes,
            max_future_s=ingest.max_future_hours * 3600,
        )  # fmt: skip
        if isinstance(event, Rejected):
            return event
        return self.engine(message.partition).handle(event)

    def _apply_internal(self, message: RawMessage) -> Rejected | None:
        """Our own contact-graph records: trusted in shape, still never fatal."""
        if message.key is None or message.value is None:
            return Rejected("missing_field", "internal record without key or value")
        try:
            self.engine(message.partition).handle_internal(
                message.topic, message.key.decode(), message.value
            )
        except (ValueError, KeyError, TypeError) as exc:
            return Rejected("out_of_range", f"internal record refused: {exc}")
        return None

    def _drain(self, partition: int, engine: PartitionEngine, out: Emissions) -> None:
        box = engine.take_outbox()
        out.alerts.extend(box.alerts)
        out.tasks.extend(box.tasks)
        out.internal.extend(box.internal)
        out.outcomes.extend(
            TaskOutcome(seen.task_id, seen.customer_id, seen.outcome, seen.ts)
            for seen in box.outcomes
        )
        out.directory.extend((partition, d, v) for d, v in engine.take_directory_changes())
        self._count(box.alerts, box.tasks, box.churns, box.evaluations)
        self._count_care(box)
        self._count_categories(engine, box)
        states = engine.take_dirty()
        out.states.extend((partition, state) for state in states)
        out.risk.extend(engine.states[c] for c in sorted(box.risk_changed))
        # The clock goes with every state write: published last, alone, it closes the batch
        # (see `publish`).
        if engine.clock_dirty or states:
            engine.clock_dirty = False
            out.clocks.append((partition, engine.clock))

    def _count(
        self,
        alerts: list[Alert],
        tasks: list[CareTask],
        churns: list[ChurnObserved],
        evaluations: int,
    ) -> None:
        m = self.metrics
        m.evaluations.inc(evaluations)
        for alert in alerts:
            m.alerts.labels(alert.level, alert.status).inc()
            if alert.status != "cleared" and alert.reasons:
                m.alert_reasons.labels(alert.reasons[0].signal, alert.level).inc()
        for task in tasks:
            m.tasks.labels(task.action, task.channel, str(task.priority)).inc()
        for churn in churns:
            caught = churn.lead_s is not None and churn.lead_s >= CAUGHT_LEAD_S
            m.churns.labels("yes" if caught else "no").inc()
            if churn.lead_s is not None:
                m.churn_lead.observe(churn.lead_s)

    def _count_care(self, box: Outbox) -> None:
        """What care did and what came of it; scores; competitor campaigns by region."""
        m = self.metrics
        for seen in box.outcomes:
            m.outcomes.labels(seen.action, seen.outcome, "yes" if seen.control else "no").inc()
        for result in box.task_results:
            group = "control" if result.control else "treated"
            m.task_results.labels(result.action, group, result.result).inc()
        for score in box.scores:
            m.scores.observe(score)
        for region in box.competitor_onsets:
            m.competitor_onsets.labels(self._region_label(region)).inc()
        if box.shed_ids:
            m.bookkeeping_shed.labels("event_ids").inc(box.shed_ids)
        if box.shed_facts:
            m.bookkeeping_shed.labels("facts").inc(box.shed_facts)
        if box.stale_tasks:
            m.stale_tasks.inc(box.stale_tasks)

    def _region_label(self, region: str) -> str:
        """A closed set of label values, whatever free text the CRM feed carries."""
        name = region.strip().lower()
        if not name:
            return "unknown"
        return name if name in self.policy.contact.report_regions else "other"

    def observe_population(self) -> None:
        """Customers at risk by level, tier and stage, and those of them without a care task
        (from the tallies: on a timer and at scrape time)."""
        at_risk = by_level(self.at_risk.values())
        without_task = untasked(self.at_risk.values())
        # Every combination, zeros included: "none at critical" is an answer, not a gap.
        for level in AT_RISK_LEVELS:
            for tier in VALUE_TIERS:
                self.metrics.at_risk_untasked.labels(level, tier).set(without_task[(level, tier)])
                for stage in STAGES:
                    count = at_risk[(level, tier, stage)]
                    self.metrics.at_risk.labels(level, tier, stage).set(count)

    def _count_categories(self, engine: PartitionEngine, box: Outbox) -> None:
        """Alerts and churns by churn-reason category and value tier (issue #10). A churned
        customer counts under the category of its last alert, `none` when never alerted."""
        m = self.metrics
        fallback = self.policy.reason_category.fallback
        for alert in box.alerts:
            category = alert.reason_category or fallback
            m.alerts_by_category.labels(category, alert.value_tier, alert.status).inc()
        for churn in box.churns:
            state = engine.states.get(churn.customer_id)
            if state is None:
                continue
            category = state.alert_category or NO_CATEGORY
            m.churns_by_category.labels(category, state.value_tier).inc()

    def observe_categories(self) -> None:
        """Customers at risk by the reason category of the alert that put them there, and
        tier (from the tallies, like `observe_population`)."""
        at_risk = by_category(self.at_risk.values())
        for category in REASON_CATEGORIES:
            for tier in VALUE_TIERS:
                count = at_risk[(category, tier)]
                self.metrics.at_risk_by_category.labels(category, tier).set(count)

    def observe_clocks(self) -> None:
        clocks = [e.clock.event_clock for e in self.engines.values() if e.clock.event_clock]
        if clocks:
            self.metrics.watermark_lag.set(max(0.0, self.wall_clock() - min(clocks)))
        self.metrics.customers.set(sum(len(e.states) for e in self.engines.values()))


def _deadletter(message: RawMessage, rejected: Rejected, now: float, raw_mode: str) -> DeadLetter:
    return DeadLetter(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        code=rejected.code,
        detail=rejected.detail,
        raw=message.value,
        at=now,
        raw_mode=raw_mode,
    )
