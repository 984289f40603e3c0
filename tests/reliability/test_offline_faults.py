"""Faults the oracle itself can judge, without a broker: re-delivered events, events reordered
within the allowed lateness, events later than it, a crash between the state and clock writes,
and hostile bytes of every shape."""

from __future__ import annotations

import json
import random
from collections import Counter

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.policy import Policy, policy_from_dict
from sim.population import SimConfig, simulate
from streams.calendar import Calendar
from streams.engine import PartitionClock, PartitionEngine
from streams.offline import OfflineResult, OfflineRunner, ReplayRecord, run_offline
from streams.state import CustomerState
from topics.catalog import BILLING, CDR, CRM, OUTCOMES
from topics.inputs import ERROR_CODES, TOO_LATE

# Exact equality under reordering needs evaluations to wait as long as events may be late.
PATIENT = policy_from_dict({"ingest": {"evaluation_delay_minutes": 72 * 60}})


@pytest.fixture(scope="module")
def history() -> list[ReplayRecord]:
    _, records = simulate(SimConfig(customers=150, days=70, seed=8))
    return [ReplayRecord(r.topic, r.key, orjson.dumps(r.value)) for r in records]


def ids(result: OfflineResult) -> tuple[set[str], set[str]]:
    return {a.alert_id for a in result.alerts}, {t.task_id for t in result.tasks}


def duplicated(records: list[ReplayRecord], share: float, rng: random.Random) -> list[ReplayRecord]:
    """Every record, and a re-delivery of `share` of them a little later in the stream."""
    out: list[ReplayRecord] = []
    for record in records:
        out.append(record)
        if rng.random() < share:
            out.insert(len(out) - rng.randint(0, min(len(out) - 1, 50)), record)
    return out


def reordered(records: list[ReplayRecord], window: int, rng: random.Random) -> list[ReplayRecord]:
    """Shuffled within sliding blocks of `window` records (far less than 72 h of traffic)."""
    out = list(records)
    for start in range(0, len(out), window):
        block = out[start : start + window]
        rng.shuffle(block)
        out[start : start + window] = block
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_duplicates_and_reordering_within_lateness_give_the_oracle_s_alerts(
    history: list[ReplayRecord], seed: int
) -> None:
    rng = random.Random(seed)
    clean = OfflineRunner(PATIENT, Calendar())
    clean.run(history)
    dirty_input = reordered(duplicated(history, 0.10, rng), 400, rng)
    dirty = OfflineRunner(PATIENT, Calendar())
    dirty.run(dirty_input)
    assert ids(dirty.result) == ids(clean.result)
    assert dirty.result.duplicates == len(dirty_input) - len(history)
    assert not dirty.result.rejected
    assert usage_of(dirty) == usage_of(clean)  # nothing counted twice


def usage_of(runner: OfflineRunner) -> dict[str, dict[int, list[int]]]:
    """Every customer's daily usage buckets at the end of the run."""
    return {
        state.customer_id: state.days
        for engine in runner.engines.values()
        for state in engine.states.values()
    }


Snapshot = dict[int, tuple[bytes, dict[str, bytes]]]  # partition -> clock, customer -> state


@pytest.mark.parametrize(
    ("committed_at", "written_at", "share_written", "clock_written"),
    [
        (0.45, 0.60, 1.0, False),
        (0.30, 0.31, 1.0, False),
        (0.50, 0.70, 0.5, False),
        (0.20, 0.22, 0.1, False),
        (0.45, 0.60, 1.0, True),
        (0.60, 0.61, 1.0, True),
    ],
)
def test_a_crash_before_the_commit_changes_nothing(
    history: list[ReplayRecord],
    committed_at: float,
    written_at: float,
    share_written: float,
    clock_written: bool,
) -> None:
    """A flush writes states, then clocks, then commits offsets. Killed during or after the
    state write, a worker recovers some states ahead of its clock (`share_written` of them)
    or, killed after the clock write, states and clock ahead of the offsets; it replays from
    the older offsets: events the states hold come back as duplicates (not as dead letters,
    however far the clock has moved), days they have closed are closed again — in a fast
    catch-up, weeks of event time."""
    oracle = OfflineRunner(Policy(), Calendar())
    oracle.run(history)
    committed_n, written_n = int(len(history) * committed_at), int(len(history) * written_at)
    killed = OfflineRunner(Policy(), Calendar())
    killed.run(history[:committed_n])
    committed = snapshot(killed)
    killed.run(history[committed_n:written_n])
    written = snapshot(killed)
    restarted = OfflineRunner(Policy(), Calendar())
    restarted.engines = {
        p: recovered(
            killed.engines[p],
            written[p][0] if clock_written else committed.get(p, (None, {}))[0],
            committed.get(p, (None, {}))[1],
            written[p][1],
            share_written,
        )
        for p in written
    }
    restarted.run(history[committed_n:])
    (alerts_before, tasks_before), (alerts_after, tasks_after) = (
        ids(killed.result),
        ids(restarted.result),
    )
    assert (alerts_before | alerts_after, tasks_before | tasks_after) == ids(oracle.result)
    assert usage_of(restarted) == usage_of(oracle)
    # Re-read events older than the ids a state remembers (72 h + lateness) cannot be told
    # from late ones by a clock as new as the state: dead-lettered as too late, nothing else.
    refused = {r.code for _, r in restarted.result.rejected}
    assert refused <= ({TOO_LATE} if clock_written else set())


def snapshot(runner: OfflineRunner) -> Snapshot:
    return {
        p: (e.clock.to_bytes(), {c: s.to_bytes() for c, s in e.states.items()})
        for p, e in runner.engines.items()
    }


def recovered(
    engine: PartitionEngine,
    clock: bytes | None,
    old_states: dict[str, bytes],
    new_states: dict[str, bytes],
    share_written: float,
) -> PartitionEngine:
    """The engine as the changelog gives it back: `clock`; each state as written by the
    interrupted flush, or for the rest, as of the last commit."""
    rng = random.Random(7)
    states = {**old_states, **{c: s for c, s in new_states.items() if rng.random() < share_written}}
    directory = [(d, orjson.dumps(list(o))) for d, o in engine.directory.owners.items()]
    return PartitionEngine(
        engine.partition, engine.partitions, Policy(), Calendar(),
        [CustomerState.from_bytes(raw) for raw in states.values()],
        PartitionClock.from_bytes(clock) if clock is not None else None, directory,
    )  # fmt: skip


def test_events_later_than_the_allowed_lateness_are_dead_lettered_and_change_nothing(
    history: list[ReplayRecord],
) -> None:
    clean = run_offline(history, Policy(), Calendar())
    # Not activations: an activation may be decades old (the contract), never too late.
    early = [r for r in history[:2000:20] if orjson.loads(r.value).get("kind") != "activation"]
    stale = [late_copy(r, i) for i, r in enumerate(early)]
    dirty = run_offline([*history, *stale], Policy(), Calendar())
    assert ids(dirty) == ids(clean)
    assert [r.code for _, r in dirty.rejected] == ["too_late"] * len(stale)


def late_copy(record: ReplayRecord, n: int) -> ReplayRecord:
    """The record again with a new id: a genuine event, just weeks too late."""
    value = orjson.loads(record.value)
    value["event_id"] = f"late-{n}"
    value.setdefault("task_id", f"late-{n}")
    return ReplayRecord(record.topic, record.key, orjson.dumps(value))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12,
)  # fmt: skip
plausible = st.fixed_dictionaries(
    {
        "event_id": st.text(max_size=8) | st.integers(),
        "customer_id": st.sampled_from(["C000001", "C000002", ""]) | st.integers(),
        "ts": st.sampled_from(["2026-03-01T08:00:00Z", "2026-03-01", "9999-12-31T23:59:59Z",
                               "0001-01-01T00:00:00+00:00", "yesterday"]) | st.integers(),
        "kind": st.sampled_from(["voice", "sms", "data", "invoice", "complaint", "fax"]),
        "direction": st.sampled_from(["out", "in", "sideways"]),
        "duration_s": st.integers(-5, 10**12) | st.floats() | st.text(max_size=3),
        "counterpart": st.text(max_size=25),
        "bytes": st.integers(-1, 10**20),
        "amount": st.floats() | st.integers(-10, 10**9),
        "outcome": st.sampled_from(["declined", "retained", "maybe"]),
        "task_id": st.text(max_size=8),
    }
)  # fmt: skip


def as_json(value: object) -> bytes:
    """The standard library writes what orjson refuses (huge integers, NaN, Infinity)."""
    return json.dumps(value).encode()


payloads = (
    st.binary(max_size=200)
    | json_values.map(as_json)
    | plausible.map(as_json)
    | st.text(max_size=100).map(str.encode)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from([CDR, BILLING, CRM, OUTCOMES]), payloads), max_size=30))
def test_hostile_input_is_processed_or_dead_lettered_with_a_contract_code(messages) -> None:
    records = [ReplayRecord(topic, "C000001", raw) for topic, raw in messages]
    result = run_offline(records, Policy(), Calendar())  # must not raise
    codes = Counter(r.code for _, r in result.rejected)
    assert set(codes) <= set(ERROR_CODES)
    applied = result.events - len(result.rejected) - result.duplicates
    assert applied >= 0 and result.events == len(records)


def test_a_two_megabyte_message_is_too_large() -> None:
    big = orjson.dumps({"event_id": "e", "customer_id": "C1", "pad": "x" * (2 * 1024 * 1024)})
    result = run_offline([ReplayRecord(CDR, "C1", big)], Policy(), Calendar())
    assert [r.code for _, r in result.rejected] == ["too_large"]
