"""The per-partition stream engine: dedupe, lateness, state updates and the event-time clock
that decides when customers are evaluated.

All of a customer's events land on the same partition number of every input topic, so one
engine per partition sees a customer's whole story. Its event-time clock is the minimum, over
the input topics that still have unread data, of the latest event time read from each — so a
topic that is read faster than another cannot make the other's events look late. Evaluations
run `evaluation_delay` behind that clock, in event-time order:
- at each local midnight the clock passes, every customer is evaluated as of that midnight
  (a day-close sweep: silence is a signal and produces no events of its own);
- CRM events that cannot wait (port-out, cancel inquiries, complaints, churn) evaluate their
  customer as of their own time, once the clock reaches it.
An evaluation as of a moment only uses usage of complete days before it and facts up to it,
so replaying the same history gives the same alerts, whatever the interleaving of customers.

The engine also keeps the partition's day-by-day population (how much its customers used, how
many were active) so that usage_drop can tell a holiday dip from a customer leaving. It is summed
again from the customer states on recovery rather than persisted: the states are written before
the clock, so a crash between the two leaves states ahead of the clock, and a replayed event those
states already hold is a duplicate that would never be counted again.

Partitions talk to each other only through internal records (`Outbox.internal`, see
`streams.social`): the directory of msisdn digests, a churned customer's news for its top
contacts, and the resulting social facts. The wiring produces them keyed by `key` and hands
each one read back to the engine of its partition (`handle_internal`); the directory entries
this engine owns are persisted through `take_directory_changes` and given back to the
constructor (`directory=`) on recovery.

Before the engine changes a customer's state in any way, it calls `before_change(state)`
(a new customer's state included, right after it is made): the wiring serialises a changed
state lazily, a slice at a time, and must catch a state it still owes before it moves on (see
`agents.cut`); it also recounts the customers at risk from the states announced (see
`streams.at_risk`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from config.policy import ContactPolicy, Policy
from streams.apply import NumberBook, apply_event, phone_digest
from streams.calendar import DAY_S, Calendar
from streams.evaluate import ChurnObserved, Evaluation, evaluate
from streams.followup import TaskResult, follow_up, settle_churned, settle_retained
from streams.playbook import in_holdout
from streams.population import Population, usage_of
from streams.social import (
    Directory,
    InternalRecord,
    contact_churn_records,
    directory_record,
    hear_of_churn,
    social_record,
)
from streams.state import COMPETITOR, CustomerState, event_key
from topics.catalog import CDR, CLOCK_TOPICS, CONTACT_CHURN, CRM, DIRECTORY, OUTCOMES, SOCIAL
from topics.inputs import OUT_OF_RANGE, TOO_LATE, InputEvent, Rejected
from topics.partitioning import partition_for
from topics.records import Alert, CareTask

# CRM events whose customer is evaluated as of the event, not only at the next day close.
URGENT_CRM = frozenset(
    {"port_out_request", "cancel_inquiry", "complaint", "port_out_completed", "deactivation"}
)
USAGE_HORIZON_DAYS = 63  # 7 recent + 28 baseline + room for 8-week trends
FACT_HORIZON_DAYS = 120  # an invoice and the three before it; 90 days of spend for the tier
SAVED = frozenset({"accepted_offer", "retained"})
MAX_EARLY_OUTCOMES = 20  # a bound: outcomes for tasks we never make must not pile up
MAX_UNROUTED = 50  # contact-churn news held per number until its directory entry arrives
DUPLICATE = "duplicate"
MAX_SWEEP_DAYS = 366  # the most days one clock move closes one by one


@dataclass(slots=True)
class PartitionClock:
    """The engine's durable clock: latest event time per input topic, the last closed day,
    and per topic the events too far ahead to move its clock yet (`leaders`: [ts, id])."""

    topic_max: dict[str, int] = field(default_factory=dict)
    event_clock: int | None = None  # min over topics with unread data; never moves back
    closed_day: int | None = None
    leaders: dict[str, list[list[Any]]] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        items: list[Any] = [self.topic_max, self.event_clock, self.closed_day]
        if self.leaders:  # the fourth item was once the population, and is read past
            items += [0, self.leaders]
        return orjson.dumps(items)

    @classmethod
    def from_bytes(cls, raw: bytes) -> PartitionClock:
        topic_max, clock, closed, *rest = orjson.loads(raw)
        leaders = rest[1] if len(rest) > 1 else {}
        return cls(topic_max, clock, closed, leaders)


@dataclass(slots=True)
class Outbox:
    """What the engine produced since it was last emptied."""

    alerts: list[Alert] = field(default_factory=list)
    tasks: list[CareTask] = field(default_factory=list)
    churns: list[ChurnObserved] = field(default_factory=list)
    outcomes: list[OutcomeSeen] = field(default_factory=list)
    task_results: list[TaskResult] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)  # every evaluation's score
    competitor_onsets: list[str] = field(default_factory=list)  # regions
    risk_changed: set[str] = field(default_factory=set)
    internal: list[InternalRecord] = field(default_factory=list)  # for the internal topics
    evaluations: int = 0
    # Bookkeeping let go to keep a busy customer's state bounded: event ids, then facts.
    shed_ids: int = 0
    shed_facts: int = 0
    stale_tasks: int = 0  # alerts whose task would have expired by `tasks_after`


class PartitionEngine:
    def __init__(
        self,
        partition: int | None,
        partitions: int | None,
        policy: Policy,
        cal: Calendar,
        states: Iterable[CustomerState] = (),
        clock: PartitionClock | None = None,
        directory: Iterable[tuple[str, bytes]] = (),
    ) -> None:
        self.partition = partition
        self.partitions = partitions
        self.policy = policy
        self.cal = cal
        self.book = NumberBook(policy.signals.competitor_contact.numbers)
        self.states: dict[str, CustomerState] = {s.customer_id: s for s in states}
        self.clock = clock or PartitionClock()
        self.directory = Directory(directory)
        self._unrouted: dict[str, list[dict[str, Any]]] = {}
        self._usage_days = usage_horizon_days(policy)
        self._fact_days = fact_horizon_days(policy)
        self._top_contacts = policy.signals.social_churn.top_contacts
        self._competitor_days = policy.signals.competitor_contact.window_days
        self._followup_s = int(policy.contact.followup_days * DAY_S)
        self.outbox = Outbox()
        self.dirty: set[str] = set()
        self.clock_dirty = False
        self.before_change: Callable[[CustomerState], None] = unwatched
        # Care tasks that would have expired by this moment are not made (None: all are). The
        # worker sets its wall clock here each batch; a replay of the past usually leaves it.
        self.tasks_after: int | None = None
        self._lateness_s = int(policy.ingest.allowed_lateness_hours * 3600)
        self._delay_s = int(policy.ingest.evaluation_delay_minutes * 60)
        self._dedupe_days = max(1, int(policy.ingest.dedupe_horizon_hours // 24) + 1)
        self._jump_s = int(policy.ingest.clock_jump_hours * 3600)
        self._confirm = policy.ingest.clock_confirm_events
        self.population = self._recovered_population()
        self._dues = [(ts, s.customer_id) for s in self.states.values() for ts in s.due]
        heapq.heapify(self._dues)

    def _recovered_population(self) -> Population:
        closed = self.clock.closed_day
        keep_from = closed - self._usage_days if closed is not None else -(2**31)
        return Population.of((s.days for s in self.states.values()), keep_from)

    @property
    def watermark(self) -> int | None:
        """Evaluations have run for every moment up to here."""
        if self.clock.event_clock is None:
            return None
        return self.clock.event_clock - self._delay_s

    # --- input -------------------------------------------------------------------------
    def handle(self, event: InputEvent) -> Rejected | str | None:
        """Apply one valid event. Returns a rejection, `DUPLICATE`, or None when applied."""
        state = self.states.get(event.customer_id)
        key = event_key(dedupe_id(event))
        # A re-delivery first, however late: a replay after a crash re-reads events older
        # than the recovered clock allows, and they are duplicates, not dead letters.
        if state is not None and state.has_seen(key):
            self._advance_topic(event)
            return DUPLICATE
        rejected = self._refused(event, state)
        if rejected is not None:
            return rejected
        if state is None:
            state = self.states[event.customer_id] = CustomerState(event.customer_id)
        # A new state too: whoever watches changes (the at-risk tally) learns of it here.
        self.before_change(state)
        self._advance_topic(event)
        day = self.cal.day(event.ts)
        if self._replayed_past_memory(state, event, day):
            return DUPLICATE
        self.outbox.shed_ids += state.note_seen(key, day, self.policy.ingest.max_event_ids)
        # An activation conveys tenure, often years back: the sweep does not start from it.
        if not _is_activation(event) and (state.first_day is None or day < state.first_day):
            state.first_day = day
        if event.topic == OUTCOMES:
            seen = apply_outcome(state, event, self.policy.contact)
            if seen is not None:
                self.outbox.outcomes.append(seen)
        elif event.topic == CDR:
            self._apply_usage(state, event, day)
        else:
            apply_event(state, event, self.cal, self.book, self._top_contacts)
            self.outbox.shed_facts += state.cap_facts(self.policy.ingest.max_facts_per_kind)
        if event.topic == CRM:
            self._crm_follow_up(state, event)
        self.dirty.add(event.customer_id)
        return None

    def _replayed_past_memory(self, state: CustomerState, event: InputEvent, day: int) -> bool:
        """An input event from before the days whose ids a state recovered ahead of its clock
        remembers: one the state holds, re-read from older offsets. Only while the state has
        forgotten more than this clock would have: otherwise a late event of a topic that
        fell behind the others (a backfill) is applied as before. (Outcomes are exempt: no
        clock bounds how late they come.)"""
        return (
            event.topic != OUTCOMES
            and state.forgot(day)
            and (self.clock.closed_day is None or state.forgot(self._ids_kept_from()))
        )

    def _ids_kept_from(self) -> int:
        """The first day whose ids the last day close kept (see `_close_day`)."""
        assert self.clock.closed_day is not None
        midnight = self.cal.day_start(self.clock.closed_day + 1)
        return self.cal.day(midnight - self._lateness_s) - self._dedupe_days

    def _apply_usage(self, state: CustomerState, event: InputEvent, day: int) -> None:
        bucket = state.days.get(day)
        before = usage_of(bucket)
        competitor_before = bucket[COMPETITOR] if bucket is not None else 0
        apply_event(state, event, self.cal, self.book, self._top_contacts)
        bucket = state.days[day]
        added = bucket[COMPETITOR] - competitor_before
        # Summing the window only when this event was a competitor contact: most are not.
        if added and competitor_contacts(state, day, self._competitor_days) == added:
            # The first competitor contact in the window: a campaign shows up here first.
            self.outbox.competitor_onsets.append(str(state.profile.get("region", "")))
        self.population.count(day, before, usage_of(bucket))

    def _crm_follow_up(self, state: CustomerState, event: InputEvent) -> None:
        if event.kind in URGENT_CRM:
            self._schedule(state, event.ts)
        msisdn = event.data.get("msisdn")
        if msisdn:  # the customer's own number: its partition's directory must know
            digest = phone_digest(msisdn)
            self.outbox.internal.append(directory_record(digest, state.customer_id, event.ts))

    def _refused(self, event: InputEvent, state: CustomerState | None) -> Rejected | None:
        # Only a customer's first event needs the hash: a state here was routed right.
        if state is None:
            misrouted = self._misrouted(event)
            if misrouted is not None:
                return misrouted
        return self._too_late(event)

    def _misrouted(self, event: InputEvent) -> Rejected | None:
        if self.partition is None or self.partitions is None:
            return None
        home = partition_for(event.customer_id, self.partitions)
        if home == self.partition:
            return None
        return Rejected(
            OUT_OF_RANGE,
            f"customer_id hashes to partition {home}, message is on {self.partition}: "
            "the key must be the customer_id",
        )

    def _too_late(self, event: InputEvent) -> Rejected | None:
        # Measured against the event's own topic: one topic read ahead of another (fetch
        # batches span days when history is replayed fast) must not make the other look late.
        # An activation may be decades old: that is how tenure arrives.
        if _is_activation(event):
            return None
        clock = self.clock.topic_max.get(event.topic)
        if clock is None or event.ts >= clock - self._lateness_s:
            return None
        hours = (clock - event.ts) / 3600
        return Rejected(TOO_LATE, f"event time is {hours:.0f} h behind its topic's latest")

    def _advance_topic(self, event: InputEvent) -> None:
        """Even a re-delivery moves its topic's clock: after a crash, replayed events must
        carry it back to where it was. (Outcomes do not keep time: see CLOCK_TOPICS; nor do
        activations, dated at the start of tenure.)

        An event within `clock_jump_hours` of the partition's furthest topic clock moves its
        topic's clock; one further ahead (a switch with a wrong date, a partition's very first
        events) is held as a leader, and the clock follows the leaders, to their median, only
        once `clock_confirm_events` of them agree that the stream is really there."""
        topic, ts = event.topic, event.ts
        if topic == OUTCOMES or _is_activation(event):
            return
        topic_max = self.clock.topic_max
        if ts <= topic_max.get(topic, ts - 1):
            return
        reach = max(topic_max.values(), default=None)
        if reach is None or ts > reach + self._jump_s:
            self._lead(topic, ts, dedupe_id(event))
            return
        topic_max[topic] = ts
        self.clock_dirty = True
        if self.clock.leaders:
            self._drop_reached_leaders()

    def _lead(self, topic: str, ts: int, event_id: str) -> None:
        held = self.clock.leaders.setdefault(topic, [])
        if any(seen_id == event_id for _, seen_id in held):
            return  # a re-delivery is no second witness
        held.append([ts, event_id])
        held.sort()
        self.clock_dirty = True
        if len(held) < self._confirm:
            return
        median = int(held[len(held) // 2][0])
        if median > self.clock.topic_max.get(topic, median - 1):
            self.clock.topic_max[topic] = median
        self._drop_reached_leaders()

    def _drop_reached_leaders(self) -> None:
        """Leaders the clock has come within reach of are ordinary events now."""
        reach = max(self.clock.topic_max.values()) + self._jump_s
        for topic in list(self.clock.leaders):
            ahead = [leader for leader in self.clock.leaders[topic] if leader[0] > reach]
            if ahead:
                self.clock.leaders[topic] = ahead
            else:
                del self.clock.leaders[topic]

    def _schedule(self, state: CustomerState, ts: int) -> None:
        watermark = self.watermark
        if watermark is None or ts > watermark:
            state.due.append(ts)
            heapq.heappush(self._dues, (ts, state.customer_id))
            return
        # The clock has reached it already (live, its second has often begun): evaluated now,
        # at the clock, right after the event — not when some later event moves the clock,
        # which would make the moment depend on how the input was batched.
        self._evaluate(state, watermark, self.cal.day(watermark) - 1)

    # --- the clock ---------------------------------------------------------------------
    def advance(self, idle: Collection[str]) -> None:
        """Move the event-time clock given which input topics have no unread data, then run
        every evaluation that became due."""
        clock = self._event_clock(idle)
        if clock is None or (
            self.clock.event_clock is not None and clock <= self.clock.event_clock
        ):
            return
        self.clock.event_clock = clock
        self.clock_dirty = True
        self._run_due(clock - self._delay_s)

    def _event_clock(self, idle: Collection[str]) -> int | None:
        seen = self.clock.topic_max
        busy = [t for t in CLOCK_TOPICS if t not in idle]
        if any(t not in seen for t in busy):
            return None  # a topic with unread data we have not seen yet may hold the past
        if busy:
            return min(seen[t] for t in busy)
        return max(seen.values()) if seen else None

    def _run_due(self, watermark: int) -> None:
        if self.clock.closed_day is None:
            # Close days from the first one anybody was seen on: a worker that reads weeks
            # of history in one batch must sweep those weeks as a one-by-one replay would.
            known = [s.first_day for s in self.states.values() if s.first_day is not None]
            self.clock.closed_day = (min(known) if known else self.cal.day(watermark)) - 1
        # A gap of more than a year with nothing to close (a customer stamped by a clock reset
        # to 1970, a feed back after a long outage) is stepped over, not swept day by day.
        self.clock.closed_day = max(
            self.clock.closed_day, self.cal.day(watermark) - MAX_SWEEP_DAYS - 1
        )
        while True:
            midnight = self.cal.day_start(self.clock.closed_day + 2)
            due = self._dues[0][0] if self._dues else None
            if due is not None and due <= min(midnight, watermark):
                _, customer_id = heapq.heappop(self._dues)
                self._evaluate_due(customer_id, due)
            elif midnight <= watermark:
                self.clock.closed_day += 1
                self._close_day(self.clock.closed_day, midnight)
            else:
                return

    def _evaluate_due(self, customer_id: str, ts: int) -> None:
        state = self.states.get(customer_id)
        if state is None or ts not in state.due:
            return
        self.before_change(state)
        state.due.remove(ts)
        self._evaluate(state, ts, self.cal.day(ts) - 1)

    def _close_day(self, day: int, midnight: int) -> None:
        keep_days_from = day - self._usage_days
        forget_ids_before = self._ids_kept_from()
        self.population.prune(keep_days_from)
        for state in self.states.values():
            self.before_change(state)
            state.prune_days(keep_days_from)
            state.forget_before(forget_ids_before)
            state.fold_facts(midnight, midnight - self._fact_days * DAY_S)
            # A state recovered ahead of its clock has had this close: evaluated again, it
            # would see events that arrived after it, late but within lateness.
            known = state.first_day is not None and state.first_day <= day
            if known and not _evaluated_since(state, midnight):
                self._evaluate(state, midnight, day)
            if state.followups:
                self.outbox.task_results.extend(settle_retained(state, midnight, self._followup_s))
        # Pruning is not worth a changelog write of its own: a recovered state that still
        # holds a few expired days or ids is pruned again at the next day close.

    def _evaluate(self, state: CustomerState, as_of: int, last_day: int) -> None:
        if _evaluated_since(state, as_of + 1):
            # A state recovered ahead of its clock (written, then the worker died before the
            # clock was) has had this evaluation already: its outputs are out, its effects in it.
            # (At the same moment it may be evaluated again: two urgent events in one second.)
            return
        result: Evaluation = evaluate(
            state, as_of, last_day, self.policy, self.cal, self.population, self.tasks_after
        )
        out = self.outbox
        out.evaluations += 1
        out.stale_tasks += result.stale_task
        if state.churned_ts is None:
            out.scores.append(state.score)
        if result.alert is not None:
            out.alerts.append(result.alert)
        if result.task is not None:
            out.tasks.append(result.task)
            follow_up(state, result.task)
            early = state.early_outcomes.pop(result.task.task_id, None)
            if early is not None:
                seen = record_outcome(
                    state, result.task.action, result.task.task_id, *early, self.policy.contact
                )
                out.outcomes.append(seen)
        if result.churn is not None:
            out.churns.append(result.churn)
            out.task_results.extend(settle_churned(state))
            out.internal.extend(contact_churn_records(state, result.churn.ts))
        if result.risk_changed:
            out.risk_changed.add(state.customer_id)
        if result.risk_changed or result.alert or result.task or result.churn:
            self.dirty.add(state.customer_id)

    # --- internal topics ---------------------------------------------------------------
    def handle_internal(self, topic: str, key: str, value: bytes) -> bool:
        """Apply one record of an internal topic (`topics.catalog.INTERNAL_TOPICS`) read from
        this engine's partition. Returns False when it changed nothing (a repeat, a number that
        is not our customer's, a contact who is not a top contact). Never moves the clock: the
        records carry the time of the event they tell of (a CRM event, a churn)."""
        if self.partitions is not None and partition_for(key, self.partitions) != self.partition:
            raise ValueError(f"{topic} record keyed {key!r} belongs to another partition")
        news: dict[str, Any] = orjson.loads(value)
        if topic == DIRECTORY:
            linked = self.directory.link(key, str(news["customer_id"]), int(news["ts"]))
            for early in self._unrouted.pop(key, []):  # news that came before the number
                self._route_contact_churn(key, early)
            return linked
        if topic == CONTACT_CHURN:
            if self.directory.owner(key) is None:
                # The directory entry may still be on its way (another topic, read at its
                # own pace): hold the news, bounded, until it comes.
                held = self._unrouted.setdefault(key, [])
                if len(held) < MAX_UNROUTED:
                    held.append(news)
                return False
            return self._route_contact_churn(key, news)
        if topic == SOCIAL:
            state = self.states.get(key)
            if state is None:
                return False
            self.before_change(state)
            if not hear_of_churn(state, news):
                return False
            self.dirty.add(key)
            return True
        raise ValueError(f"{topic} is not an internal topic")

    def _route_contact_churn(self, digest: str, news: dict[str, Any]) -> bool:
        owner = self.directory.owner(digest)
        if owner is None or owner == news["customer_id"]:
            return False
        self.outbox.internal.append(social_record(owner, news))
        return True

    def take_directory_changes(self) -> list[tuple[str, bytes]]:
        """Directory entries changed since the last call, as (msisdn digest, value): the wiring
        writes each to the changelog under the key `b"\x00dir:" + digest.encode()` and, on
        recovery, passes the (digest, value) pairs back as `PartitionEngine(directory=...)`."""
        return self.directory.take_changes()

    # --- output ------------------------------------------------------------------------
    def take_outbox(self) -> Outbox:
        out, self.outbox = self.outbox, Outbox()
        return out

    def take_dirty(self) -> list[CustomerState]:
        changed = [self.states[c] for c in self.dirty if c in self.states]
        self.dirty = set()
        return changed


def _is_activation(event: InputEvent) -> bool:
    return event.topic == CRM and event.kind == "activation"


def unwatched(state: CustomerState) -> None:
    """No one is waiting to serialise states (the offline runner, tests)."""


def _evaluated_since(state: CustomerState, moment: int) -> bool:
    """Whether the state has been evaluated as of `moment` or later."""
    return state.last_eval_ts is not None and state.last_eval_ts >= moment


def usage_horizon_days(policy: Policy) -> int:
    """Days of usage kept: enough for every window the policy asks for."""
    signals = policy.signals
    return max(
        USAGE_HORIZON_DAYS,
        signals.usage_drop.recent_days + signals.usage_drop.baseline_days,
        signals.spend_below_plan.window_days,
    )


def fact_horizon_days(policy: Policy) -> int:
    """Days of dated facts kept: enough for every window the policy asks for."""
    bill = policy.signals.bill_shock
    return max(FACT_HORIZON_DAYS, bill.window_days + 31 * bill.history_invoices + 1)


def dedupe_id(event: InputEvent) -> str:
    """Care outcomes have no event id: one task can be `unreachable` first, `declined` later."""
    if event.topic == OUTCOMES:
        return f"{event.event_id}|{event.kind}|{event.ts}"
    return event.event_id


@dataclass(frozen=True, slots=True)
class OutcomeSeen:
    """A care outcome matched to its task, for the save-rate metrics (treated vs control)."""

    action: str
    outcome: str
    control: bool
    task_id: str = ""
    customer_id: str = ""
    ts: int = 0


def apply_outcome(
    state: CustomerState, event: InputEvent, contact: ContactPolicy
) -> OutcomeSeen | None:
    """A care-desk outcome closes the task; a decline suppresses that action for a while —
    even when an earlier outcome (say, `unreachable`) closed the task already; an accepted
    offer or a retained customer closes every open task: the episode is over."""
    action = next((a for a, (_, tid) in state.open_tasks.items() if tid == event.event_id), None)
    if action is None:
        if len(state.early_outcomes) < MAX_EARLY_OUTCOMES:
            state.early_outcomes[event.event_id] = (event.kind, event.ts)
        return None  # its task may not be made yet here: applied when it is
    return record_outcome(state, action, event.event_id, event.kind, event.ts, contact)


def record_outcome(
    state: CustomerState, action: str, task_id: str, kind: str, ts: int, contact: ContactPolicy
) -> OutcomeSeen:
    if kind in SAVED:
        state.open_tasks = {a: (0, tid) for a, (_, tid) in state.open_tasks.items()}
    elif kind != "unreachable":
        state.open_tasks[action] = (0, task_id)  # closed; the id still maps to it
    if kind == "declined":
        state.suppressed[action] = ts + int(contact.decline_suppress_days * DAY_S)
    control = in_holdout(state.customer_id, contact)
    return OutcomeSeen(action, kind, control, task_id, state.customer_id, ts)


def competitor_contacts(state: CustomerState, day: int, window_days: int) -> int:
    """Calls and SMS to competitors in the `window_days` days up to `day`."""
    days = state.days
    return sum(days[d][COMPETITOR] for d in range(day - window_days + 1, day + 1) if d in days)
