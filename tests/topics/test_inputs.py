"""Unit tests of `topics.inputs.decode_event`: every error code it produces, and what it accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topics.catalog import BILLING, CDR, CRM, OUTCOMES
from topics.inputs import (
    BAD_TYPE,
    ERROR_CODES,
    INVALID_JSON,
    MISSING_FIELD,
    OUT_OF_RANGE,
    TOO_LARGE,
    UNKNOWN_KIND,
    InputEvent,
    Rejected,
    decode_event,
)

TS = "2026-03-01T08:15:00+08:00"
TS_EPOCH = int(datetime(2026, 3, 1, 0, 15, tzinfo=UTC).timestamp())
NOW = TS_EPOCH + 3600.0
MAX_BYTES = 1024 * 1024
MAX_FUTURE_S = 24 * 3600.0

VOICE: dict[str, Any] = {
    "event_id": "e-1",
    "customer_id": "C000123",
    "ts": TS,
    "kind": "voice",
    "direction": "out",
    "duration_s": 125,
    "counterpart": "+8613800138000",
}
SMS: dict[str, Any] = {**VOICE, "kind": "sms"}
del SMS["duration_s"]
DATA: dict[str, Any] = {
    "event_id": "e-2",
    "customer_id": "C000123",
    "ts": TS,
    "kind": "data",
    "bytes": 1_048_576,
}
INVOICE: dict[str, Any] = {
    "event_id": "b-1",
    "customer_id": "C000123",
    "ts": TS,
    "kind": "invoice",
    "amount": 88.0,
    "period": "2026-02",
}
COMPLAINT: dict[str, Any] = {
    "event_id": "m-1",
    "customer_id": "C000123",
    "ts": TS,
    "kind": "complaint",
    "complaint_id": "K-1",
    "category": "network",
    "severity": 2,
}
OUTCOME: dict[str, Any] = {
    "task_id": "T-1",
    "customer_id": "C000123",
    "ts": TS,
    "outcome": "retained",
}


def decode(
    topic: str, value: object, *, now: float = NOW, max_bytes: int = MAX_BYTES
) -> InputEvent | Rejected:
    raw = value if isinstance(value, bytes) or value is None else orjson.dumps(value)
    return decode_event(topic, raw, now=now, max_bytes=max_bytes, max_future_s=MAX_FUTURE_S)


def code_of(topic: str, value: object, **kwargs: Any) -> str:
    result = decode(topic, value, **kwargs)
    assert isinstance(result, Rejected), f"accepted: {value!r}"
    assert result.code in ERROR_CODES
    assert result.detail
    return result.code


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


def without(base: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k != name}


# --- accepted -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "value"),
    [(CDR, VOICE), (CDR, SMS), (CDR, DATA), (BILLING, INVOICE), (CRM, COMPLAINT)],
)
def test_valid_events_decode(topic: str, value: dict[str, Any]) -> None:
    event = decode(topic, value)
    assert isinstance(event, InputEvent)
    assert (event.topic, event.customer_id, event.ts) == (topic, "C000123", TS_EPOCH)
    assert event.event_id == value["event_id"]
    assert event.kind == value["kind"]
    assert event.data == value


def test_outcome_uses_task_id_and_outcome() -> None:
    event = decode(OUTCOMES, OUTCOME)
    assert isinstance(event, InputEvent)
    assert (event.event_id, event.kind) == ("T-1", "retained")


def test_unknown_extra_fields_are_accepted_and_kept() -> None:
    value = with_(VOICE, future_field={"nested": [1, 2]}, another=None, rating="x" * 2000)
    event = decode(CDR, value)
    assert isinstance(event, InputEvent)
    assert event.data["future_field"] == {"nested": [1, 2]}


def test_null_optional_fields_count_as_absent() -> None:
    assert isinstance(decode(CDR, with_(VOICE, region=None, roaming=None)), InputEvent)
    assert isinstance(decode(CRM, with_(COMPLAINT, severity=None)), InputEvent)


@pytest.mark.parametrize(
    "ts", ["2026-03-01T00:15:00Z", "2026-03-01T00:15:00+00:00", "2026-03-01T08:15:00.9+08:00"]
)
def test_ts_offsets_and_fractions(ts: str) -> None:
    event = decode(CDR, with_(VOICE, ts=ts))
    assert isinstance(event, InputEvent)
    assert event.ts == TS_EPOCH


def test_optional_fields_of_every_topic_accepted() -> None:
    cdr = with_(DATA, duration_s=60.5, charge=0.25, region="north", cell_id="X1", roaming=True)
    billing = with_(INVOICE, plan_fee=88, balance=-12.5, days_overdue=3, reason="roaming charge")
    crm = with_(
        COMPLAINT,
        kind="plan_change",
        msisdn="008613800138000",
        plan_id="P58",
        plan_fee=58,
        previous_plan_fee=88,
        contract_end="2026-12-31",
        segment="business",
        region="north",
        account_manager="Li",
        satisfied=False,
        channel="app",
    )
    for topic, value in ((CDR, cdr), (BILLING, billing), (CRM, crm)):
        assert isinstance(decode(topic, value), InputEvent), value


def test_boundaries_are_inclusive() -> None:
    assert isinstance(decode(CDR, with_(VOICE, duration_s=7 * 24 * 3600)), InputEvent)
    assert isinstance(decode(CDR, with_(VOICE, duration_s=0)), InputEvent)
    assert isinstance(decode(CDR, with_(VOICE, customer_id="C" * 128)), InputEvent)
    assert isinstance(decode(CDR, VOICE, now=TS_EPOCH - MAX_FUTURE_S), InputEvent)


def test_message_of_exactly_max_bytes_is_accepted() -> None:
    raw = orjson.dumps(VOICE)
    raw = raw[:-1] + b',"pad":"' + b"p" * (MAX_BYTES - len(raw) - 9) + b'"}'
    assert len(raw) == MAX_BYTES
    assert isinstance(decode(CDR, raw), InputEvent)


# --- invalid_json ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"",
        b"   ",
        b"{not json",
        b'{"event_id": "e-1",}',
        b'{"duration_s": NaN}',
        b'{"duration_s": Infinity}',
        b'{"duration_s": -Infinity}',
        b'{"duration_s": 1e400}',  # orjson refuses numbers that overflow a double
        b"\xff\xfe{}",
        b'{"customer_id": "C\xff"}',
        b"[1, 2]",
        b'[{"event_id": "e-1"}]',
        b'"a string"',
        b"42",
        b"null",
    ],
)
def test_invalid_json(raw: bytes | None) -> None:
    assert code_of(CDR, raw) == INVALID_JSON


def test_non_utf8_bytes_are_invalid_json_not_an_exception() -> None:
    raw = orjson.dumps(VOICE).replace(b"C000123", "C00012é".encode("latin-1"))
    assert code_of(CDR, raw) == INVALID_JSON


# --- too_large ------------------------------------------------------------------------------------


def test_too_large() -> None:
    raw = orjson.dumps(with_(VOICE, pad="p" * MAX_BYTES))
    assert code_of(CDR, raw) == TOO_LARGE
    assert code_of(CDR, b"x" * 101, max_bytes=100) == TOO_LARGE  # checked before parsing


# --- missing_field --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "base", "name"),
    [
        *[(CDR, VOICE, name) for name in ("event_id", "customer_id", "ts", "kind")],
        (CDR, VOICE, "direction"),
        (CDR, VOICE, "duration_s"),
        (CDR, VOICE, "counterpart"),
        (CDR, SMS, "direction"),
        (CDR, SMS, "counterpart"),
        (CDR, DATA, "bytes"),
        (BILLING, INVOICE, "amount"),
        (BILLING, INVOICE, "kind"),
        (CRM, COMPLAINT, "customer_id"),
        *[(OUTCOMES, OUTCOME, name) for name in ("task_id", "customer_id", "ts", "outcome")],
    ],
)
def test_missing_field(topic: str, base: dict[str, Any], name: str) -> None:
    assert code_of(topic, without(base, name)) == MISSING_FIELD
    assert code_of(topic, with_(base, **{name: None})) == MISSING_FIELD  # null counts as absent


def test_sms_does_not_need_duration_and_data_needs_no_counterpart() -> None:
    assert isinstance(decode(CDR, SMS), InputEvent)
    assert isinstance(decode(CDR, DATA), InputEvent)


# --- bad_type -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "value"),
    [
        (CDR, with_(VOICE, customer_id=123)),
        (CDR, with_(VOICE, event_id=["e-1"])),
        (CDR, with_(VOICE, kind=1)),
        (CDR, with_(VOICE, duration_s="60")),
        (CDR, with_(VOICE, direction=True)),
        (CDR, with_(VOICE, counterpart=8613800138000)),
        (CDR, with_(DATA, bytes={"value": 1})),
        (BILLING, with_(INVOICE, amount="88.00")),
        (BILLING, with_(INVOICE, period=202602)),
        (CRM, with_(COMPLAINT, severity="2")),
        (CRM, with_(COMPLAINT, severity=2.0)),  # an integer field refuses a float
        (CRM, with_(COMPLAINT, category=["network"])),
        (OUTCOMES, with_(OUTCOME, outcome=1)),
    ],
)
def test_bad_type(topic: str, value: dict[str, Any]) -> None:
    assert code_of(topic, value) == BAD_TYPE


@pytest.mark.parametrize(
    ("topic", "value"),
    [
        (CDR, with_(VOICE, duration_s=True)),
        (CDR, with_(DATA, bytes=False)),
        (CDR, with_(VOICE, charge=True)),
        (BILLING, with_(INVOICE, amount=True)),
        (CRM, with_(COMPLAINT, severity=True)),
    ],
)
def test_booleans_are_not_numbers(topic: str, value: dict[str, Any]) -> None:
    assert code_of(topic, value) == BAD_TYPE


@pytest.mark.parametrize(
    ("topic", "value"),
    [
        (CDR, with_(VOICE, forwarded=1)),
        (CDR, with_(VOICE, dropped=0)),
        (CDR, with_(VOICE, roaming="false")),
        (CRM, with_(COMPLAINT, kind="complaint_resolved", satisfied=1)),
    ],
)
def test_numbers_are_not_booleans(topic: str, value: dict[str, Any]) -> None:
    assert code_of(topic, value) == BAD_TYPE


@pytest.mark.parametrize(
    "ts",
    [
        "2026-03-01T08:15:00",  # naive: no offset
        "2026-03-01 08:15:00",
        "2026-03-01",
        "yesterday",
        "",
        1772324100,  # epoch seconds are not RFC 3339
        1772324100.0,
        True,
    ],
)
def test_ts_without_offset_or_not_a_time_is_bad_type(ts: object) -> None:
    assert code_of(CDR, with_(VOICE, ts=ts)) == BAD_TYPE


def test_naive_ts_detail_says_why() -> None:
    result = decode(CDR, with_(VOICE, ts="2026-03-01T08:15:00"))
    assert isinstance(result, Rejected)
    assert "offset" in result.detail


# --- unknown_kind ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "value"),
    [
        (CDR, with_(VOICE, kind="video")),
        (CDR, with_(VOICE, kind="Voice")),
        (CDR, with_(VOICE, kind="")),
        (BILLING, with_(INVOICE, kind="voice")),
        (CRM, with_(COMPLAINT, kind="churn")),
        (OUTCOMES, with_(OUTCOME, outcome="maybe")),
    ],
)
def test_unknown_kind(topic: str, value: dict[str, Any]) -> None:
    assert code_of(topic, value) == UNKNOWN_KIND


# --- out_of_range ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "value"),
    [
        (CDR, with_(VOICE, duration_s=-1)),
        (CDR, with_(VOICE, duration_s=-0.5)),
        (CDR, with_(VOICE, duration_s=7 * 24 * 3600 + 1)),
        (CDR, with_(DATA, bytes=10**13 + 1)),
        (CDR, with_(VOICE, charge=-0.01)),
        (CDR, with_(VOICE, charge=10**6 + 1)),
        (CDR, with_(VOICE, customer_id="")),
        (CDR, with_(VOICE, customer_id="C" * 129)),
        (CDR, with_(VOICE, event_id="e" * 129)),
        (CDR, with_(VOICE, region="")),
        (CDR, with_(VOICE, cell_id="x" * 513)),
        (CDR, with_(VOICE, direction="up")),
        (CDR, with_(VOICE, counterpart="138-0013-8000")),
        (CDR, with_(VOICE, counterpart="+")),
        (CDR, with_(VOICE, counterpart="1" * 21)),
        (CDR, with_(VOICE, counterpart="10086\n")),
        (BILLING, with_(INVOICE, amount=-1)),
        (BILLING, with_(INVOICE, amount=10**7 + 1)),
        (BILLING, with_(INVOICE, period="2026-13")),
        (BILLING, with_(INVOICE, period="2026-2")),
        (BILLING, with_(INVOICE, balance=-(10**7) - 1)),
        (BILLING, with_(INVOICE, days_overdue=-1)),
        (BILLING, with_(INVOICE, days_overdue=3651)),
        (BILLING, with_(INVOICE, plan_fee=-5)),
        (CRM, with_(COMPLAINT, severity=0)),
        (CRM, with_(COMPLAINT, severity=4)),
        (CRM, with_(COMPLAINT, category="coverage")),
        (CRM, with_(COMPLAINT, segment="enterprise")),
        (CRM, with_(COMPLAINT, contract_end="2026-02-30")),
        (CRM, with_(COMPLAINT, contract_end="31/12/2026")),
        (CRM, with_(COMPLAINT, msisdn="n/a")),
        (CRM, with_(COMPLAINT, previous_plan_fee=10**6 + 1)),
    ],
)
def test_out_of_range(topic: str, value: dict[str, Any]) -> None:
    assert code_of(topic, value) == OUT_OF_RANGE


def test_future_ts_beyond_max_future_is_out_of_range() -> None:
    assert code_of(CDR, VOICE, now=TS_EPOCH - MAX_FUTURE_S - 1) == OUT_OF_RANGE
    # the clock check applies to every input topic, before the topic's own checks
    assert code_of(OUTCOMES, OUTCOME, now=TS_EPOCH - 2 * MAX_FUTURE_S) == OUT_OF_RANGE
    # old events are not this module's business (too_late needs the event-time clock)
    assert isinstance(decode(CDR, VOICE, now=TS_EPOCH + 365 * 86400.0), InputEvent)


def test_huge_integers_are_rejected_never_accepted() -> None:
    assert code_of(CDR, with_(VOICE, duration_s=2**64 - 1)) == OUT_OF_RANGE
    raw = orjson.dumps(VOICE).replace(b'"duration_s":125', b'"duration_s":' + b"9" * 40)
    # orjson reads integers beyond 64 bits as floats (older releases refused them as invalid)
    assert code_of(CDR, raw) in (OUT_OF_RANGE, INVALID_JSON)
    raw = orjson.dumps(COMPLAINT).replace(b'"severity":2', b'"severity":' + b"9" * 40)
    assert code_of(CRM, raw) in (BAD_TYPE, INVALID_JSON)


def test_every_code_but_too_late_is_produced_here() -> None:
    """too_late needs the worker's watermark; every other contract code comes from here."""
    produced = {
        code_of(CDR, b"{"),
        code_of(CDR, without(VOICE, "ts")),
        code_of(CDR, with_(VOICE, ts=0)),
        code_of(CDR, with_(VOICE, kind="fax")),
        code_of(CDR, with_(VOICE, duration_s=-1)),
        code_of(CDR, b"{}", max_bytes=1),
    }
    assert produced == set(ERROR_CODES) - {"too_late"}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    for topic in (CDR, BILLING, CRM, OUTCOMES):
        assert isinstance(decode(topic, raw), InputEvent | Rejected)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)  # what orjson can serialize
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted({*VOICE, *DATA, "charge", "roaming"})), _JSON))
def test_arbitrary_objects_never_raise(value: dict[str, Any]) -> None:
    assert isinstance(decode(CDR, {**VOICE, **value}), InputEvent | Rejected)
