"""End to end through the offline engine: steady customers stay quiet, scripted churners are
alerted before they leave with the right top reason, and the bookkeeping (dedupe, lateness,
routing, determinism, churn) holds."""

from __future__ import annotations

import random

import orjson
import pytest

from config.policy import Policy, policy_from_dict
from sim.population import SimConfig, simulate
from streams.engine import (
    DUPLICATE,
    PartitionClock,
    PartitionEngine,
    fact_horizon_days,
    usage_horizon_days,
)
from streams.offline import OfflineRunner, ReplayRecord, run_offline
from streams.state import CALLS_OUT, DATA_SESSIONS, SMS_OUT, VOICE_OUT_S, CustomerState
from tests.streams.scenarios import (
    BASE_DAY,
    PARTITIONS,
    UTC,
    Life,
    clock_keeper,
    decoded,
    mate_of,
    run,
    state_in,
    value_of,
)
from tests.support.story import Story, at, merged
from topics.catalog import CDR, CLOCK_TOPICS, OUTCOMES
from topics.inputs import OUT_OF_RANGE, TOO_LATE
from topics.partitioning import partition_for

END = 80  # story day the clock keepers run to


def _churners() -> dict[str, tuple[Story, str, str]]:
    """Scripted churners: (story, expected top reason of the first alert, first task action)."""
    return {
        "port_out": (
            Story("C000001")
            .steady(0, 60)
            .crm(50, "port_out_request")
            .crm(58, "port_out_completed"),
            "port_out_request",
            "retention_call",
        ),
        "silence": (
            Story("C000002").steady(0, 40).crm(60, "deactivation"),
            "zero_activity",
            "reactivation",
        ),
        "fading_usage": (
            Life("C000003").steady(0, 35).usage(36, 58, minutes=2, mb=60).crm(60, "deactivation"),
            "usage_drop",
            "usage_incentive",
        ),
        "competitor_calls": (
            Story("C000004")
            .steady(0, 60)
            .call(45, 3, to="10010", hour=15)
            .call(47, 3, to="+8610000", hour=15)
            .crm(60, "port_out_completed"),
            "competitor_contact",
            "retention_call",
        ),
        "contract_end": (
            Story("C000005")
            .crm(0, "contract", contract_end="2026-03-20")  # story day 74
            .steady(0, 76)
            .crm(76, "deactivation"),
            "contract_expiring",
            "renewal_bundle",
        ),
        "call_forwarding": (
            _forwarding(Life("C000006").steady(0, 60), 45, 60).crm(60, "port_out_completed"),
            "call_forwarding",
            "retention_call",
        ),
        "complaints": (
            Story("C000007")
            .steady(0, 60)
            .crm(45, "complaint", complaint_id="K1", category="billing", severity=3)
            .billing(45, "dispute", 30.0, hour=11)
            .crm(60, "deactivation"),
            "complaint",
            "complaint_callback",
        ),
        "price": (
            Life("C000008")
            .crm(0, "profile", plan_fee=188.0)
            .paid_usage(0, 60, 0.6)
            .usage(0, 60, minutes=5, mb=50)
            .crm(60, "deactivation"),
            "spend_below_plan",
            "plan_rightsizing",
        ),
        "cancel_inquiry": (
            Story("C000009").steady(0, 60).crm(50, "cancel_inquiry").crm(58, "deactivation"),
            "cancel_inquiry",
            "retention_call",
        ),
    }


def _forwarding(story: Life, first: int, last: int) -> Life:
    """Two incoming calls a day, from day `first` on forwarded to another SIM."""
    for day in range(last + 1):
        story.incoming(day, forwarded=day >= first).incoming(day, hour=18, forwarded=day >= first)
    return story


def _population() -> list[Story]:
    steady = [Story(f"C1000{i:02d}").steady(0, END) for i in range(12)]
    churners = [story for story, _, _ in _churners().values()]
    keepers = [clock_keeper(s.customer_id, END) for s in churners]
    return steady + churners + keepers


def _cdr(customer_id: str, event_id: str, ts: str) -> ReplayRecord:
    value = {
        "event_id": event_id,
        "customer_id": customer_id,
        "ts": ts,
        "kind": "sms",
        "direction": "out",
        "counterpart": "13800000001",
    }
    return ReplayRecord(CDR, customer_id, orjson.dumps(value))


def _ids(result):
    return sorted(a.alert_id for a in result.alerts), sorted(t.task_id for t in result.tasks)


# --- steady and churning customers ----------------------------------------------------------


def test_steady_customers_are_not_alerted():
    stories = [Story(f"C2000{i:02d}").steady(0, END) for i in range(24)]
    result = run_offline(merged(*stories), Policy(), UTC)
    assert result.alerts == []
    assert result.tasks == []
    assert result.rejected == []


def test_a_new_customer_is_not_alerted():
    # Joins on day 30 with a plan its usage is worth 80% of: no baseline to drop from yet,
    # in acquisition, paying its way.
    story = Life("C300003").crm(30, "activation", plan_fee=60.0, msisdn="13800000303")
    story.steady(30, END).paid_usage(30, END, 1.6)
    assert run_offline(merged(story, clock_keeper("C300003", END)), Policy(), UTC).alerts == []


def test_a_roaming_trip_is_not_alerted():
    # A week abroad: every record flagged roaming, usage as usual — it counts as usage.
    story = Life("C300004").steady(0, 40).roaming(41, 47).steady(48, END)
    assert run_offline(merged(story, clock_keeper("C300004", END)), Policy(), UTC).alerts == []


def test_steady_light_and_heavy_users_are_not_alerted():
    stories = [
        Story("C300001").steady(0, END, scale=0.3),
        Story("C300002").steady(0, END, scale=4.0),
    ]
    assert run_offline(merged(*stories), Policy(), UTC).alerts == []


@pytest.mark.parametrize("name", list(_churners()))
def test_scripted_churner_is_alerted_before_churning_with_the_right_top_reason(name):
    story, top_reason, action = _churners()[name]
    result = run_offline(merged(story, clock_keeper(story.customer_id, END)), Policy(), UTC)
    alerts = [a for a in result.alerts if a.customer_id == story.customer_id]
    (churn,) = [c for c in result.churns if c.customer_id == story.customer_id]
    assert alerts, "no alert before the churn"
    first = alerts[0]
    assert first.status == "raised"
    assert first.ts < churn.ts
    assert first.reasons[0].signal == top_reason
    assert first.reasons[0].detail  # a human sentence with every reason
    assert churn.lead_s == churn.ts - first.ts
    assert churn.lead_s >= 86_400  # at least a day to act
    tasks = [t for t in result.tasks if t.customer_id == story.customer_id]
    assert tasks[0].action == action
    assert tasks[0].alert_id == first.alert_id


def test_port_out_request_is_critical_at_once_and_evaluated_at_its_own_time():
    story, _, _ = _churners()["port_out"]
    result = run_offline(merged(story, clock_keeper(story.customer_id, END)), Policy(), UTC)
    (alert,) = result.alerts
    assert (alert.status, alert.level, alert.stage) == ("raised", "critical", "departure")
    assert alert.ts == value_ts(story, "port_out_request")  # not at the next day close


def value_ts(story: Story, kind: str) -> int:
    (event,) = [decoded(r) for _, _, r in story.records() if value_of(r)["kind"] == kind]
    return event.ts


def test_port_out_completed_yields_churn_with_lead_time_from_the_first_alert():
    story = (
        Story("C000001")
        .steady(0, 60)
        .call(40, 3, to="10010", hour=15)  # high from day 41
        .crm(50, "port_out_request")  # escalated to critical
        .crm(58, "port_out_completed")
    )
    result = run_offline(merged(story, clock_keeper("C000001", END)), Policy(), UTC)
    statuses = [(a.status, a.level) for a in result.alerts]
    assert statuses[:2] == [("raised", "high"), ("escalated", "critical")]
    (churn,) = result.churns
    assert churn.ts == value_ts(story, "port_out_completed")
    assert churn.lead_s == churn.ts - result.alerts[0].ts  # from the first, not the latest


def test_a_churn_without_any_alert_has_no_lead_time():
    story = Story("C000001").steady(0, 30).crm(30, "port_out_completed", hour=22)
    result = run_offline(merged(story, clock_keeper("C000001", 40)), Policy(), UTC)
    assert [(c.customer_id, c.lead_s) for c in result.churns] == [("C000001", None)]


def test_a_churned_customer_gets_no_further_alerts():
    story = (
        Story("C000001")
        .steady(0, 50)
        .crm(50, "port_out_request")
        .crm(52, "port_out_completed")
        .steady(60, 62)  # stray usage after the number left (e.g. late records)
        .crm(65, "cancel_inquiry")
    )
    runner = run(merged(story, clock_keeper("C000001", END)))
    result = runner.result
    churn_ts = value_ts(story, "port_out_completed")
    assert [a.ts < churn_ts for a in result.alerts] == [True]
    assert all(t.created_at < churn_ts for t in result.tasks)
    assert len(result.churns) == 1  # silence after churn is not news either
    state = state_in(runner, "C000001")
    assert (state.churned_ts, state.level) == (churn_ts, "none")


def test_a_returning_customer_starts_a_new_life():
    story = (
        Story("C000001")
        .steady(0, 30)
        .crm(30, "port_out_completed", hour=22)
        .crm(40, "activation")
        .steady(40, 75)
        .crm(70, "port_out_request")
    )
    result = run_offline(merged(story, clock_keeper("C000001", END)), Policy(), UTC)
    assert len(result.churns) == 1
    assert [(a.status, a.reasons[0].signal) for a in result.alerts] == [
        ("raised", "port_out_request")
    ]


# --- dedupe, lateness, routing ----------------------------------------------------------------


def test_redelivered_events_are_ignored_and_do_not_double_count():
    stories = [
        Story("C000001").steady(0, 60).crm(50, "port_out_request"),
        Story("C000007").steady(0, 60),
    ]
    clean = merged(*stories)
    noisy: list[ReplayRecord] = []
    resent = 0
    for i, record in enumerate(clean):
        noisy.append(record)
        if i % 3 == 0:  # every third message delivered twice, some of them much later
            noisy.append(record)
            resent += 1
    first, second = run(clean), run(noisy)
    assert second.result.duplicates == resent
    assert second.result.rejected == []
    assert _ids(second.result) == _ids(first.result)
    for customer in ("C000001", "C000007"):
        assert state_in(second, customer).days == state_in(first, customer).days


def test_a_redelivery_a_day_later_is_still_a_duplicate():
    records = merged(Story("C000001").steady(0, 5))
    replayed = records + records[-8:]  # the last two days re-sent after the fact
    runner = run(replayed)
    assert runner.result.duplicates == 8
    assert runner.result.rejected == []


def test_a_state_recovered_ahead_of_its_clock_takes_the_replay_as_duplicates():
    """Written, then killed before its clock was: the states hold weeks of events that come
    back from the older offsets, and days they were evaluated on are closed again."""
    fading = Story("C000007").steady(0, 40).steady(41, 50, scale=0.1)
    records = merged(Story("C000001").steady(0, 50), fading)
    tail = records[len(records) // 2 :]
    runner = run(records[: len(records) // 2], partitions=1)
    clock = PartitionClock.from_bytes(runner.engines[0].clock.to_bytes())
    runner.run(tail)
    assert runner.result.alerts  # there is something to raise twice
    states = runner.engines[0].states.values()
    recovered = PartitionEngine(0, 1, Policy(), UTC, states, clock)
    replayed = [recovered.handle(decoded(r)) for r in tail]
    recovered.advance(CLOCK_TOPICS)
    assert set(replayed) == {DUPLICATE}
    outbox = recovered.take_outbox()
    assert (outbox.alerts, outbox.tasks, outbox.evaluations) == ([], [], 0)


def test_a_day_closed_again_after_recovery_does_not_see_an_event_that_came_after_it():
    """A late call to a rival, applied after the day-20 close and written with the state: the
    replayed day-20 close must not raise the alert the first run raised at day 21."""
    records = merged(Story("C000001").steady(0, 30), Story("C000002").steady(0, 30))
    rival_call = {"kind": "voice", "duration_s": 120, "counterpart": "10010"}
    late = ReplayRecord(
        CDR, "C000001", orjson.dumps(value_of(_cdr("C000001", "late-1", at(20, 22))) | rival_call)
    )
    after = next(i for i, r in enumerate(records) if value_of(r)["ts"] >= at(21, 10)) + 1
    history = [*records[:after], late, *records[after:]]
    oracle = run(history, partitions=1)
    clock_at = next(i for i, r in enumerate(history) if value_of(r)["ts"] >= at(20, 17))
    killed = run(history[:clock_at], partitions=1)
    clock = PartitionClock.from_bytes(killed.engines[0].clock.to_bytes())
    killed.run(history[clock_at : after + 3])
    states = killed.engines[0].states.values()
    restarted = run([], partitions=1)
    restarted.engines = {0: PartitionEngine(0, 1, Policy(), UTC, states, clock)}
    restarted.run(history[clock_at:])
    alerts = {a.alert_id for a in [*killed.result.alerts, *restarted.result.alerts]}
    assert oracle.result.alerts and alerts == {a.alert_id for a in oracle.result.alerts}


def test_a_backfill_of_a_topic_that_fell_behind_the_others_is_applied():
    """CDRs stop at day 5 while CRM events carry the clock to day 20; day 10's CDRs then arrive
    (within their own topic's lateness). Ids of day 10 are long forgotten: still applied."""
    crm = Story("C000001", _seq=5000)  # ids after the usage story's
    for day in range(6, 21):
        crm.crm(day, "profile", plan_id="P1")
    backfill = [_cdr("C000001", f"backfill-{i}", at(10, 9 + i)) for i in range(4)]
    runner = run([*merged(Story("C000001").steady(0, 5)), *merged(crm), *backfill], partitions=1)
    assert (runner.result.duplicates, runner.result.rejected) == (0, [])
    assert state_in(runner, "C000001").days[BASE_DAY + 10][SMS_OUT] == 4


def test_an_event_beyond_the_allowed_lateness_is_rejected_too_late():
    records = merged(Story("C000001").steady(0, 10))  # CDR topic reaches day 10 20:00
    late = _cdr("C000001", "late-1", at(6, 12))  # 104 h behind
    result = run_offline([*records, late], Policy(), UTC)
    ((record, rejected),) = result.rejected
    assert record is late
    assert rejected.code == TOO_LATE
    assert "104 h" in rejected.detail


def test_a_redelivery_beyond_the_allowed_lateness_is_a_duplicate_not_a_dead_letter():
    """A replay after a crash in a fast catch-up re-reads events days behind the recovered
    clock: those the state remembers are re-deliveries, not late events."""
    records = merged(Story("C000001").steady(0, 10))
    day_6 = at(6, 0)[:10]  # 4 days behind the topic's latest, within the 7 days of ids kept
    old = next(r for r in records if r.topic == CDR and day_6 in r.value.decode())
    result = run_offline([*records, old], Policy(), UTC)
    assert (result.rejected, result.duplicates) == ([], 1)


def test_an_event_within_the_allowed_lateness_is_accepted():
    records = merged(Story("C000001").steady(0, 10))
    late = _cdr("C000001", "late-1", at(8, 0))  # 68 h behind: still in time
    runner = run([*records, late])
    assert runner.result.rejected == []
    assert state_in(runner, "C000001").days[UTC.day(decoded(late).ts)][SMS_OUT] == 2


def test_lateness_is_measured_against_the_events_own_topic():
    # CRM is far behind CDR: a CRM event from days ago is not late for its topic.
    story = Story("C000001").crm(0, "profile", region="north").steady(0, 10)
    record = ReplayRecord(
        "telecom.crm",
        "C000001",
        orjson.dumps(
            {
                "event_id": "crm-late",
                "customer_id": "C000001",
                "ts": at(5),
                "kind": "complaint",
                "category": "network",
            }
        ),
    )
    result = run_offline([*merged(story), record], Policy(), UTC)
    assert result.rejected == []


def test_a_message_keyed_to_another_partition_is_rejected_out_of_range():
    other = next(
        c
        for c in (f"K{i:04d}" for i in range(100))
        if partition_for(c, PARTITIONS) != partition_for("C000001", PARTITIONS)
    )
    value = value_of(_cdr("C000001", "e-1", at(0)))
    misrouted = ReplayRecord(CDR, other, orjson.dumps(value))  # key is not the customer_id
    result = run_offline([misrouted], Policy(), UTC)
    ((_, rejected),) = result.rejected
    assert rejected.code == OUT_OF_RANGE
    assert f"partition {partition_for('C000001', PARTITIONS)}" in rejected.detail


def test_the_engine_refuses_customers_of_other_partitions():
    home = partition_for("C000001", PARTITIONS)
    engine = PartitionEngine((home + 1) % PARTITIONS, PARTITIONS, Policy(), UTC)
    rejected = engine.handle(decoded(_cdr("C000001", "e-1", at(0))))
    assert rejected is not None and getattr(rejected, "code", None) == OUT_OF_RANGE
    assert engine.states == {}
    mine = PartitionEngine(home, PARTITIONS, Policy(), UTC)
    assert mine.handle(decoded(_cdr("C000001", "e-1", at(0)))) is None


# --- the clock --------------------------------------------------------------------------------


def test_last_events_wait_for_the_evaluation_delay():
    story = Story("C000001").steady(0, 10).crm(10, "port_out_request", hour=21)
    alone = run_offline(merged(story), Policy(), UTC)
    assert alone.alerts == []  # nothing after it moves the clock an hour past it
    mate = Story(mate_of("C000001")[0]).sms(10, hour=22)
    assert run_offline(merged(story, mate), Policy(), UTC).alerts[0].level == "critical"


def test_usage_applies_to_local_day_buckets():
    runner = run(merged(Story("C000001").steady(0, 2)))
    bucket = state_in(runner, "C000001").days[BASE_DAY]
    assert (bucket[CALLS_OUT], bucket[SMS_OUT], bucket[DATA_SESSIONS]) == (2, 1, 1)
    assert bucket[VOICE_OUT_S] == 600


# --- determinism ------------------------------------------------------------------------------


def _reference():
    return run_offline(merged(*_population()), Policy(), UTC)


def test_the_reference_population_has_alerts_and_tasks():
    reference = _reference()
    assert len(reference.alerts) >= 5
    assert len(reference.tasks) >= 5
    assert len(reference.churns) == len(_churners())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffling_customers_with_equal_timestamps_gives_identical_ids(seed):
    rng = random.Random(seed)
    rows = sorted(r for s in _population() for r in s.records())
    rank: dict[tuple[str, str], float] = {}
    for ts, _, record in rows:  # a random order of customers for each timestamp
        rank.setdefault((ts, record.key or ""), rng.random())
    shuffled = [
        r for _, _, r in sorted(rows, key=lambda row: (row[0], rank[(row[0], row[2].key or "")]))
    ]
    assert shuffled != [r for _, _, r in rows]
    assert _ids(run_offline(shuffled, Policy(), UTC)) == _ids(_reference())


@pytest.mark.parametrize("seed", [1, 2])
def test_routing_jitter_within_the_evaluation_delay_gives_identical_ids(seed):
    rng = random.Random(seed)
    stories = _population()
    jitter = {s.customer_id: rng.randint(0, 45) * 60 for s in stories}  # up to 45 minutes
    rows = [
        (decoded(r).ts + jitter[s.customer_id], i, r)
        for s in stories
        for i, (_, _, r) in enumerate(s.records())
    ]
    delivered = [r for _, _, r in sorted(rows, key=lambda row: (row[0], row[1]))]
    result = run_offline(delivered, Policy(), UTC)
    assert result.rejected == []
    assert _ids(result) == _ids(_reference())


def test_the_same_history_on_a_different_partition_count_gives_identical_ids():
    records = merged(*_population())
    assert _ids(run_offline(records, Policy(), UTC, partitions=3)) == _ids(_reference())


# --- care outcomes ----------------------------------------------------------------------------


def _outcome(task, outcome: str, day: int) -> ReplayRecord:
    value = {
        "task_id": task.task_id,
        "customer_id": task.customer_id,
        "ts": at(day),
        "outcome": outcome,
    }
    return ReplayRecord(OUTCOMES, task.customer_id, orjson.dumps(value))


def test_a_declined_offer_suppresses_the_action():
    story = Story("C000001").steady(0, END).call(40, 3, to="10010", hour=15)
    records = merged(story)
    (task,) = run(records).result.tasks
    cut = next(i for i, r in enumerate(records) if decoded(r).ts > task.created_at + 86_400)
    runner = run([*records[:cut], _outcome(task, "declined", 42), *records[cut:]])
    state = state_in(runner, "C000001")
    assert task.action in state.suppressed
    assert state.open_tasks[task.action][0] == 0  # closed


def test_a_decline_after_an_unreachable_attempt_still_suppresses_the_action():
    story = Story("C000001").steady(0, END).call(40, 3, to="10010", hour=15)
    records = merged(story)
    (task,) = run(records).result.tasks
    cut = next(i for i, r in enumerate(records) if decoded(r).ts > task.created_at + 86_400)
    outcomes = [_outcome(task, "unreachable", 41), _outcome(task, "declined", 42)]
    runner = run([*records[:cut], *outcomes, *records[cut:]])
    assert runner.result.duplicates == 0
    assert task.action in state_in(runner, "C000001").suppressed


def test_a_late_stale_contract_does_not_undo_a_renewal():
    story = (
        Story("C000001")
        .steady(0, 60)
        .crm(9, "contract", contract_end="2026-02-28")  # the old contract
        .crm(10, "contract", contract_end="2027-12-31")  # the renewal
    )
    records = merged(story)
    assert run_offline(records, Policy(), UTC).alerts == []
    (stale,) = [r for r in records if b'"contract_end":"2026-02-28"' in r.value]
    rest = [r for r in records if r is not stale]
    # Delivered after the day close that folded the renewal: 2.5 days late, still accepted.
    cut = next(i for i, r in enumerate(rest) if decoded(r).ts > decoded(stale).ts + 60 * 3600)
    late = [*rest[:cut], stale, *rest[cut:]]
    result = run_offline(late, Policy(), UTC)
    assert result.rejected == []
    assert result.alerts == []


def test_a_fading_customer_who_falls_silent_is_not_cleared():
    story = Life("C000001").steady(0, 30).usage(31, 45, minutes=2, mb=60)  # silent from 46
    result = run_offline(merged(story, clock_keeper("C000001", 70)), Policy(), UTC)
    statuses = [a.status for a in result.alerts if a.customer_id == "C000001"]
    assert statuses[:2] == ["raised", "escalated"]
    assert "cleared" not in statuses


# --- horizons ---------------------------------------------------------------------------------


def test_the_usage_and_fact_horizons_cover_every_window_the_policy_asks_for():
    assert usage_horizon_days(Policy()) == 63
    longer = policy_from_dict({"signals": {"usage_drop": {"baseline_days": 56, "recent_days": 28}}})
    assert usage_horizon_days(longer) == 84
    assert fact_horizon_days(Policy()) == 35 + 3 * 31 + 1  # a recent invoice and 3 before
    slow = policy_from_dict({"signals": {"bill_shock": {"window_days": 60}}})
    assert fact_horizon_days(slow) == 60 + 3 * 31 + 1


def test_an_urgent_event_in_a_second_the_clock_has_reached_is_evaluated_without_waiting():
    # Live, the clock often stands at the current second when a port-out request of that same
    # second arrives: it is due now, not when the next second's first event moves the clock.
    policy = policy_from_dict({"ingest": {"evaluation_delay_minutes": 0}})
    engine = PartitionEngine(None, None, policy, UTC)
    story = Story("C000001").steady(0, 30).call(31, hour=9).crm(31, "port_out_request", hour=9)
    for _, _, record in story.records():
        engine.handle(decoded(record))
        engine.advance(CLOCK_TOPICS)  # every topic read to its end: the clock is the latest
    alerts = engine.take_outbox().alerts
    assert alerts[-1].level == "critical"
    assert alerts[-1].ts == value_ts(story, "port_out_request") == engine.clock.event_clock


def test_urgent_events_of_one_second_give_the_same_alerts_however_the_input_is_batched():
    # The evaluation delay (60 min by default) is what makes this hold: with none, an urgent
    # event is evaluated as soon as the clock reaches its second, before any later event of
    # that same second (the latency bench's trade).
    policy = Policy()
    story = (
        Story("C000001")
        .steady(0, 33)
        .call(31, hour=9)
        .crm(31, "port_out_request", hour=9)
        .crm(31, "complaint", hour=9, category="network", severity=2)
    )
    events = [decoded(record) for record in merged(story)]  # in time order

    def alerts(batch: int) -> list[tuple[str, int, float]]:
        engine = PartitionEngine(None, None, policy, UTC)
        for start in range(0, len(events), batch):
            for event in events[start : start + batch]:
                engine.handle(event)
            engine.advance(CLOCK_TOPICS)
        return [(a.alert_id, a.ts, a.score) for a in engine.take_outbox().alerts]

    assert alerts(1) == alerts(len(events)) == alerts(7)


class _Announced:
    """Every engine's `before_change`: which states were announced since the last look, and
    those announced only after they had changed already."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.before: dict[str, bytes] = {}  # every state as of the last look
        self.late: list[str] = []

    def __call__(self, state: CustomerState) -> None:
        first = state.customer_id not in self.ids
        self.ids.add(state.customer_id)
        was = self.before.get(state.customer_id)
        if first and was is not None and state.to_json() != was:
            self.late.append(state.customer_id)


def _changed_unannounced(records: list[ReplayRecord], policy: Policy) -> list[str]:
    """Customers whose state changed, record by record, without `before_change` first."""
    runner, announced = OfflineRunner(policy, UTC, PARTITIONS), _Announced()
    for partition in range(PARTITIONS):
        runner.engine(partition).before_change = announced
    silent = []
    for record in records:
        runner.feed(record)
        now = {c: s.to_json() for e in runner.engines.values() for c, s in e.states.items()}
        # A new customer's state counts as changed: it must be announced too.
        silent += [c for c, raw in now.items() if raw != announced.before.get(c)
                   and c not in announced.ids]  # fmt: skip
        announced.before, announced.ids = now, set()
    return silent + announced.late


def test_no_state_changes_without_before_change_first() -> None:
    """What lets the worker serialise a cut lazily (`agents.cut`) and keep its at-risk tallies
    (`streams.at_risk`): events, a new customer's first, urgent and day-close evaluations,
    pruning and a contact's churn news all announce the state they are about to change."""
    from tests.streams.test_social import LOUD, _circle

    assert _changed_unannounced(merged(*_circle()), LOUD) == []
    _, sim = simulate(SimConfig(customers=10, days=60, seed=4))
    records = [ReplayRecord(r.topic, r.key, orjson.dumps(r.value)) for r in sim]
    assert _changed_unannounced(records, Policy()) == []
