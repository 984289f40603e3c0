"""Known history, not assumed silence: a backfill's CRM and billing facts reach back years before
its CDRs, and nothing is said about a customer for a moment their usage history does not cover."""

from __future__ import annotations

from datetime import datetime

from config.policy import Policy
from streams.calendar import Calendar
from streams.offline import run_offline
from streams.state import CustomerState
from tests.support.story import Story, at, merged

FIRST_CDR_DAY = 60


def _backfilled(customer_id: str, activated_day: int = -900) -> Story:
    """An operator's backfill: the real activation years ago (tenure), bills from day 0, a
    complaint before the CDR window, then CDRs from the start of their retention window."""
    story = Story(customer_id).crm(activated_day, "activation", plan_id="P1", plan_fee=59.0)
    for month in range(0, 150, 30):
        story.billing(month, "invoice", 59.0)
    story.crm(20, "complaint", category="network", severity="high")
    return story.steady(FIRST_CDR_DAY, 149)


def _ts(day: int) -> int:
    return int(datetime.fromisoformat(at(day, 0)).timestamp())


def test_no_alert_or_task_before_the_first_usage_event():
    stories = [_backfilled(f"C{i:06d}") for i in range(30)]
    result = run_offline(merged(*stories), Policy(), Calendar())
    usage_began = _ts(FIRST_CDR_DAY)
    assert [a for a in result.alerts if a.ts < usage_began] == []
    assert [t for t in result.tasks if t.created_at < usage_began] == []


def test_no_zero_activity_for_the_days_before_the_data_began():
    stories = [_backfilled(f"C{i:06d}", activated_day=FIRST_CDR_DAY - 400) for i in range(30)]
    result = run_offline(merged(*stories), Policy(), Calendar())
    fired = {r.signal for a in result.alerts for r in a.reasons}
    assert "zero_activity" not in fired
    assert [a for a in result.alerts if a.level in ("high", "critical")] == []


def test_a_real_silence_after_the_data_began_still_alerts():
    silent = Story("C000999").crm(-900, "activation").steady(FIRST_CDR_DAY, 100)
    silent.billing(120, "invoice", 59.0)
    result = run_offline(merged(silent, *(_backfilled(f"C{i:06d}") for i in range(5))),
                         Policy(), Calendar())  # fmt: skip
    first = next(a for a in result.alerts if a.customer_id == "C000999")
    assert first.reasons[0].signal == "zero_activity"
    assert _ts(101) <= first.ts <= _ts(110)


def test_usage_history_starts_at_the_first_day_bucket_and_survives_the_wire():
    state = CustomerState("C1", first_day=5)
    assert state.usage_from is None
    state.bucket(9)
    state.bucket(7)
    assert state.usage_from == 7
    state.prune_days(8)
    back = CustomerState.from_bytes(state.to_bytes())
    assert back.usage_from == 7 and back.first_day == 5


def test_a_state_written_before_usage_history_was_kept_reads_its_usage_as_its_first_day():
    state = CustomerState("C1", first_day=5)
    state.bucket(5)
    old = state.to_json().replace(b',"uf":5', b"")
    assert b'"uf"' not in old
    assert CustomerState.from_json(old).usage_from == 5
    no_usage = CustomerState("C2", first_day=5).to_json().replace(b',"uf":null', b"")
    assert CustomerState.from_json(no_usage).usage_from is None
