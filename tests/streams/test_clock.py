"""The event-time clock against wrong device clocks: one event far ahead, ancient activations."""

from __future__ import annotations

from datetime import datetime

import orjson

from config.policy import Policy
from streams.calendar import Calendar
from streams.offline import OfflineRunner, run_offline
from tests.support.live import as_record
from tests.support.story import Story, at, merged
from topics.catalog import CDR, CRM
from topics.inputs import TOO_LATE


def _history() -> list:
    return merged(*(Story(f"C{i:03d}").steady(0, 40) for i in range(12)))


def _ids(result) -> set[str]:
    return {a.alert_id for a in result.alerts} | {t.task_id for t in result.tasks}


def test_one_cdr_stamped_far_ahead_neither_moves_the_clock_nor_makes_later_events_late():
    history = _history()
    clean = run_offline(history, Policy(), Calendar())
    ahead = {
        "event_id": "wrong-clock", "customer_id": "C001", "ts": at(300), "kind": "voice",
        "direction": "out", "duration_s": 60, "counterpart": "13800000001",
    }  # fmt: skip
    dirty = run_offline(
        [*history[:200], as_record(CDR, ahead, "C001"), *history[200:]], Policy(), Calendar()
    )
    assert [r.code for _, r in dirty.rejected if r.code == TOO_LATE] == []
    assert _ids(dirty) == _ids(clean)


def test_a_sustained_jump_moves_the_clock_after_the_confirming_events():
    history = _history()
    later = merged(*(Story(f"C{i:03d}").steady(200, 210) for i in range(12)))
    runner = OfflineRunner(Policy(), Calendar())
    result = runner.run([*history, *later])
    assert not result.rejected  # the resumed feed is not late
    resumed = Calendar().day(int(datetime.fromisoformat(at(209)).timestamp()))
    for engine in runner.engines.values():
        assert engine.clock.closed_day is not None and engine.clock.closed_day >= resumed - 1
    # The clock is there now: the old past is late.
    stale = {**orjson.loads(history[-1].value), "event_id": "stale"}
    assert (
        runner.run([as_record(CDR, stale, stale["customer_id"])]).rejected[-1][1].code == TOO_LATE
    )


def test_an_activation_decades_old_is_accepted_and_starts_no_sweep():
    history = _history()
    old = {"event_id": "act-1", "customer_id": "C002", "ts": "1996-05-01T00:00:00Z",
           "kind": "activation"}  # fmt: skip
    result = run_offline([*history, as_record(CRM, old, "C002")], Policy(), Calendar())
    assert not result.rejected
    clean = run_offline(history, Policy(), Calendar())
    assert result.events == clean.events + 1


def test_a_clock_reset_to_1970_first_does_not_sweep_half_a_century():
    first = {
        "event_id": "epoch", "customer_id": "C003", "ts": "1970-01-01T00:00:00Z",
        "kind": "data", "bytes": 10,
    }  # fmt: skip
    history = _history()
    runner = OfflineRunner(Policy(), Calendar())
    dirty = runner.run([as_record(CDR, first, "C003"), *history])
    clean = run_offline(history, Policy(), Calendar())
    last = Calendar().day(
        int(datetime.fromisoformat(orjson.loads(history[-1].value)["ts"]).timestamp())
    )
    for engine in runner.engines.values():
        assert engine.clock.closed_day is not None and engine.clock.closed_day >= last - 2

    # Only the customer with the wrong clock is affected; the rest alert as before.
    def others(result) -> set[str]:
        return {a.alert_id for a in result.alerts if a.customer_id != "C003"}

    assert others(dirty) == others(clean)
