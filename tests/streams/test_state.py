"""The per-customer state record: serialisation, dedupe memory and dated profile facts."""

from __future__ import annotations

import dataclasses

import orjson

from streams.state import (
    CALLS_OUT,
    DATA_KB,
    N_COUNTERS,
    VOICE_OUT_S,
    CustomerState,
    apply_profile_fact,
    event_key,
)
from tests.streams.scenarios import run, state_in
from tests.support.story import Story, merged

DAY = 86_400


def _full_state() -> CustomerState:
    """A state with every field away from its default."""
    state = CustomerState("C000042")
    state.bucket(20_460)[VOICE_OUT_S] = 600
    state.bucket(20_460)[CALLS_OUT] = 2
    state.bucket(20_461)  # a day with an all-zero bucket
    middle = state.bucket(20_462)
    middle[DATA_KB] = 10_240
    middle[N_COUNTERS - 1] = 3  # the last slot: trimming must not lose it
    state.add_fact(1_767_600_000, "complaint", {"category": "network", "severity": 2})
    state.add_fact(1_767_700_000, "plan_change", {"plan_fee": 58.0, "previous_plan_fee": 88.0})
    state.profile = {"plan_fee": 88.0, "contract_end": "2026-12-31", "activated_ts": 1_700_000_000}
    state.remember(event_key("e-1"), 20_460)
    state.remember(event_key("e-2"), 20_462)
    state.ids_from = 20_459
    state.level = "high"
    state.score = 0.7311
    state.stage = "decline"
    state.value_tier = "gold"
    state.reasons = [{"signal": "usage_drop", "contribution": 3.5, "value": 0.7, "detail": "x"}]
    state.last_alert_id = "A123"
    state.last_alert_ts = 1_767_800_000
    state.first_alert_ts = 1_767_700_000
    state.alert_category = "industry"
    state.last_eval_ts = 1_767_900_000
    state.risk_ts = 1_767_900_000
    state.due = [1_767_950_000, 1_767_960_000]
    state.churned_ts = 1_768_000_000
    state.open_tasks = {"retention_call": (1_768_500_000, "T1"), "reactivation": (1, "T2")}
    state.task_times = [1_767_800_000]
    state.suppressed = {"usage_incentive": 1_770_000_000}
    state.followups = [("retention_call", 1_767_800_000, True)]
    state.early_outcomes = {"T9": ("declined", 1_767_850_000)}
    state.contacts = {"a1b2c3d4e5f6": 12, "0f0f0f0f0f0f": 3}
    return state


def test_every_field_survives_a_round_trip():
    state = _full_state()
    # Derived fields (compare=False: the dedupe index) are rebuilt, not written.
    names = {f.name for f in dataclasses.fields(CustomerState) if f.compare}
    defaults = CustomerState("C000042")
    unchanged = {n for n in names if getattr(state, n) == getattr(defaults, n)}
    assert unchanged == {"customer_id"}  # the fixture really exercises every field
    restored = CustomerState.from_bytes(state.to_bytes())
    for name in sorted(names):
        assert getattr(restored, name) == getattr(state, name), name


def test_a_round_trip_is_byte_stable():
    raw = _full_state().to_bytes()
    assert CustomerState.from_bytes(raw).to_bytes() == raw


def test_the_changelog_value_is_the_json_document_compressed():
    state = _full_state()
    raw = state.to_bytes()
    assert not raw.startswith(b"{") and len(raw) < len(state.to_json())
    assert CustomerState.from_bytes(raw) == state


def test_a_value_written_before_compression_still_reads():
    state = _full_state()
    legacy = orjson.loads(state.to_json())
    legacy["d"] = [_without_trailing_zeros(row) for row in legacy["d"]]  # as they were written
    restored = CustomerState.from_bytes(orjson.dumps(legacy))
    assert restored == state


def _without_trailing_zeros(row: list[int]) -> list[int]:
    while len(row) > 1 and row[-1] == 0:
        row = row[:-1]
    return row


def test_restored_buckets_are_full_width_and_writable():
    restored = CustomerState.from_bytes(_full_state().to_bytes())
    assert all(len(b) == N_COUNTERS for b in restored.days.values())
    assert restored.days[20_461] == [0] * N_COUNTERS
    restored.bucket(20_461)[VOICE_OUT_S] += 60
    assert restored.days[20_461][VOICE_OUT_S] == 60


def test_a_fresh_customer_round_trips():
    fresh = CustomerState("C000001")
    assert CustomerState.from_bytes(fresh.to_bytes()) == fresh


def test_first_day_is_the_earliest_bucket_even_when_days_arrive_out_of_order():
    state = CustomerState("C000001")
    state.bucket(20)
    state.bucket(15)
    state.bucket(30)
    assert state.first_day == 15


def test_prune_days_keeps_the_horizon_only():
    state = CustomerState("C000001")
    for day in range(10, 20):
        state.bucket(day)
    state.prune_days(15)
    assert sorted(state.days) == list(range(15, 20))


# --- dedupe ---------------------------------------------------------------------------------


def test_remember_says_false_for_a_redelivery():
    state = CustomerState("C000001")
    assert state.remember(event_key("ev-1"), 100) is True
    assert state.remember(event_key("ev-1"), 100) is False
    assert state.remember(event_key("ev-2"), 100) is True


def test_remember_finds_a_redelivery_filed_under_another_day():
    state = CustomerState("C000001")
    state.remember(event_key("ev-1"), 100)
    assert state.remember(event_key("ev-1"), 101) is False


def test_forget_before_drops_old_days_of_ids_only():
    state = CustomerState("C000001")
    state.remember(event_key("old"), 100)
    state.remember(event_key("new"), 103)
    state.forget_before(102)
    assert state.remember(event_key("old"), 103) is True  # forgotten: accepted again
    assert state.remember(event_key("new"), 103) is False


def test_remembered_ids_survive_a_round_trip_and_the_lookup_index_is_not_written():
    state = CustomerState("C000001")
    state.remember(event_key("ev-1"), 100)  # builds the index
    back = CustomerState.from_bytes(state.to_bytes())
    assert back == state
    assert orjson.loads(state.to_json())["s"] == {"100": [event_key("ev-1")]}
    assert back.remember(event_key("ev-1"), 101) is False
    assert back.remember(event_key("ev-2"), 101) is True


def test_a_state_knows_from_which_day_it_still_remembers_ids():
    state = CustomerState("C000001")
    assert not state.forgot(0)
    state.forget_before(102)
    state.forget_before(101)  # never moves back
    assert (state.forgot(101), state.forgot(102)) == (True, False)


def test_event_key_is_stable_across_processes():
    # A fixed value: Python's hash() is salted per process and would break dedupe on restart.
    assert event_key("C000001-1") == event_key("C000001-1")
    assert event_key("C000001-1") != event_key("C000001-2")
    assert 0 <= event_key("x") < 2**64


# --- facts and profile ----------------------------------------------------------------------


def test_facts_stay_in_event_time_order_whatever_the_arrival_order():
    state = CustomerState("C000001")
    state.add_fact(300, "complaint", {})
    state.add_fact(100, "cancel_inquiry", {})
    state.add_fact(200, "invoice", {"amount": 10})
    assert [f[0] for f in state.facts] == [100, 200, 300]


def test_profile_as_of_sees_only_facts_up_to_that_moment():
    state = CustomerState("C000001")
    state.add_fact(100, "activation", {"plan_fee": 88.0})
    state.add_fact(500, "contract", {"contract_end": "2027-01-31"})
    state.add_fact(900, "plan_change", {"plan_fee": 58.0})
    assert fields(state.profile_as_of(50)) == {}
    assert fields(state.profile_as_of(100)) == {"plan_fee": 88.0, "activated_ts": 100}
    assert state.profile_as_of(600)["contract_end"] == "2027-01-31"
    later = state.profile_as_of(1000)
    assert later["plan_fee"] == 58.0
    assert later["previous_plan_fee"] == 88.0  # inferred from the profile before the change
    assert later["plan_changed_ts"] == 900


def test_profile_as_of_does_not_change_the_state():
    state = CustomerState("C000001")
    state.add_fact(100, "profile", {"region": "north"})
    state.profile_as_of(200)
    assert state.profile == {}
    assert len(state.facts) == 1


def test_fold_facts_folds_profile_facts_and_drops_old_other_facts():
    state = CustomerState("C000001")
    state.add_fact(100, "activation", {"plan_fee": 88.0})
    state.add_fact(150, "complaint", {"category": "billing"})  # older than keep_from
    state.add_fact(250, "cancel_inquiry", {})
    state.add_fact(400, "contract", {"contract_end": "2027-01-31"})  # after `until`
    before = state.profile_as_of(1000)
    state.fold_facts(until=300, keep_from=200)
    assert fields(state.profile) == {"plan_fee": 88.0, "activated_ts": 100}
    assert [(f[0], f[1]) for f in state.facts] == [(250, "cancel_inquiry"), (400, "contract")]
    assert state.profile_as_of(1000) == before  # folding never changes what a view sees


def test_apply_profile_fact_keeps_an_explicit_previous_fee():
    profile = {"plan_fee": 88.0}
    apply_profile_fact(profile, "plan_change", {"plan_fee": 38.0, "previous_plan_fee": 58.0}, 5)
    assert profile["previous_plan_fee"] == 58.0


def test_a_late_older_profile_fact_does_not_override_a_newer_folded_one():
    state = CustomerState("C000001")
    state.add_fact(10 * DAY, "contract", {"contract_end": "2028-01-31"})  # the renewal
    state.fold_facts(until=11 * DAY, keep_from=0)  # day close folds it
    state.add_fact(9 * DAY, "contract", {"contract_end": "2026-02-28"})  # arrives 2 days late
    assert state.profile_as_of(12 * DAY)["contract_end"] == "2028-01-31"
    state.fold_facts(until=12 * DAY, keep_from=0)
    assert state.profile["contract_end"] == "2028-01-31"


# --- size -----------------------------------------------------------------------------------


def test_state_size_of_a_customer_with_63_days_of_usage(record_property):
    story = (
        Story("C000003")
        .crm(0, "activation", plan_fee=88, contract_end="2027-01-31", msisdn="13800001111")
        .steady(0, 70)
        .billing(30, "invoice", 88.0, period="2026-02")
        .billing(60, "invoice", 88.0, period="2026-03")
    )
    runner = run(merged(story))
    state = state_in(runner, "C000003")
    size = len(state.to_bytes())
    record_property("state_bytes", size)
    record_property("usage_days", len(state.days))
    print(f"state of a steady customer: {size} bytes, {len(state.days)} usage days")
    assert len(state.days) >= 63
    assert CustomerState.from_bytes(state.to_bytes()) == state


def fields(profile: dict) -> dict:
    """The profile's values, without the per-field times kept beside them."""
    return {k: v for k, v in profile.items() if k != "_at"}


def test_a_record_written_before_contacts_were_kept_still_loads():
    raw = orjson.loads(_full_state().to_json())
    del raw["k"]
    restored = CustomerState.from_bytes(orjson.dumps(raw, option=orjson.OPT_NON_STR_KEYS))
    assert restored.contacts == {}
