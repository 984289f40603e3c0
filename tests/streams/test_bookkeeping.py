"""One customer's bookkeeping stays bounded whatever its traffic: dedupe ids and facts are
capped by policy, and a state record always fits the changelog."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import orjson

from agents.cut import MAX_STATE_BYTES
from config.policy import Policy
from streams.calendar import Calendar
from streams.offline import OfflineRunner, ReplayRecord
from streams.state import CustomerState, event_key
from topics.catalog import CDR, CRM

DAY = 86_400
START = 1_772_323_200  # 2026-03-01T00:00:00Z


def test_past_the_cap_the_oldest_ids_are_let_go_and_the_newest_still_dedupe() -> None:
    state = CustomerState("C1")
    shed = 0
    for i in range(1000):
        assert not state.has_seen(event_key(f"e{i}"))
        shed += state.note_seen(event_key(f"e{i}"), 20_000 + i // 100, cap=100)
    kept = sum(len(keys) for keys in state.seen.values())
    assert kept <= 100 and shed == 1000 - kept
    assert state.has_seen(event_key("e999"))
    assert not state.has_seen(event_key("e0"))


def test_past_the_cap_the_oldest_facts_of_a_kind_go_and_other_kinds_stay() -> None:
    state = CustomerState("C1")
    state.add_fact(START, "complaint", {"category": "network"})
    state.add_fact(START + 1, "profile", {"region": "north"})
    shed = 0
    for i in range(5000):
        state.add_fact(START + 10 + i, "care_contact", {"channel": "app"})
        state.add_fact(START + 10 + i, "profile", {"region": f"r{i}"})
        shed += state.cap_facts(100)
    kinds = [kind for _, kind, _ in state.facts]
    assert kinds.count("care_contact") <= 100 and kinds.count("profile") <= 100
    assert kinds.count("complaint") == 1
    assert shed == 10_002 - len(state.facts)
    # A profile fact let go is folded in first: the profile knows what it said.
    assert state.profile_as_of(START + 10 + 4999)["region"] == "r4999"
    assert state.profile["region"].startswith("r")


def test_a_state_too_big_for_the_changelog_sheds_until_it_fits() -> None:
    rng = random.Random(3)
    state = CustomerState("C1")
    for i in range(40_000):
        state.note_seen(rng.getrandbits(63), 20_000 + i % 5)
    for i in range(6000):  # incompressible text in every fact, as the contract allows
        text = rng.randbytes(256).hex()
        state.add_fact(START + i, "complaint", {"complaint_id": text, "region": text})
    assert len(state.to_bytes()) > MAX_STATE_BYTES
    raw, ids, facts = state.to_bytes_within(MAX_STATE_BYTES)
    assert len(raw) <= MAX_STATE_BYTES and ids > 0 and facts > 0
    assert CustomerState.from_bytes(raw) == state
    assert state.facts[-1][0] == START + 5999  # the newest facts are kept


def test_a_state_that_fits_is_written_as_it_is() -> None:
    state = CustomerState("C1")
    state.note_seen(event_key("e1"), 20_000)
    assert state.to_bytes_within(MAX_STATE_BYTES) == (state.to_bytes(), 0, 0)


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _flood(topic: str, count: int) -> list[ReplayRecord]:
    records = []
    for i in range(count):
        value: dict[str, object] = {
            "event_id": f"e{i}", "customer_id": "BUSY", "ts": _iso(START + i * DAY // count),
        }  # fmt: skip
        if topic == CDR:
            value |= {"kind": "voice", "direction": "out", "duration_s": 30,
                      "counterpart": f"+86139{i % 1000:07d}"}  # fmt: skip
        else:
            value |= {"kind": "care_contact", "channel": "app", "region": f"{i:0>400}"}
        records.append(ReplayRecord(topic, "BUSY", orjson.dumps(value)))
    return records


def _busy_state(records: list[ReplayRecord]) -> tuple[CustomerState, int]:
    runner = OfflineRunner(Policy(), Calendar())
    result = runner.run(records)
    (engine,) = runner.engines.values()
    return engine.states["BUSY"], len(result.rejected) + result.duplicates


def test_200k_calls_in_a_day_keep_one_customer_within_the_caps() -> None:
    state, lost = _busy_state(_flood(CDR, 200_000))
    assert lost == 0
    assert sum(len(keys) for keys in state.seen.values()) <= Policy().ingest.max_event_ids
    assert sum(state.days[day][0] for day in state.days) > 0
    assert len(state.to_bytes()) < MAX_STATE_BYTES


def test_200k_crm_events_in_a_day_keep_one_customer_within_the_caps() -> None:
    state, lost = _busy_state(_flood(CRM, 200_000))
    assert lost == 0
    assert len(state.facts) <= Policy().ingest.max_facts_per_kind
    raw, _, _ = state.to_bytes_within(MAX_STATE_BYTES)
    assert len(raw) <= MAX_STATE_BYTES
