"""Unit tests of `topics.inputs.decode_event`: every error code it produces, and what it accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topics import inputs
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


@pytest.mark.parametrize(
    "ts",
    ["2026-03-01T08:15:00+00:60", "2026-03-01T08:15:00.250-05:75", "2026-03-01T08:15:00+01:99"],
)
def test_an_offset_of_sixty_minutes_or_more_is_bad_type(ts: str) -> None:
    # fromisoformat() alone reads "+00:60" as "+01:00": an event time an hour off.
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


# --- customer ids and the years of ts (the contract: anything else is bad_type / out_of_range) ---


@pytest.mark.parametrize(
    "customer_id",
    [
        "",
        "C" * 129,
        "é" * 65,  # 130 bytes of UTF-8 in 65 characters
        "\x00clock:0",  # shaped like the changelog's internal keys
        "C1\n",
        "C\x7f1",
        "C\x851",  # a C1 control character
        " C1",
        "C1\t",
        "C1\u3000",  # ideographic space at the end
    ],
)
def test_customer_id_refused(customer_id: str) -> None:
    assert code_of(CDR, with_(VOICE, customer_id=customer_id)) == BAD_TYPE
    assert code_of(OUTCOMES, with_(OUTCOME, customer_id=customer_id)) == BAD_TYPE


@pytest.mark.parametrize("customer_id", ["top", "C" * 128, "é" * 64, "客户 42", "a\u2028b"])
def test_customer_id_accepted(customer_id: str) -> None:
    event = decode(CDR, with_(VOICE, customer_id=customer_id))
    assert isinstance(event, InputEvent) and event.customer_id == customer_id


@pytest.mark.parametrize(
    "ts", ["0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "1970-01-01T01:00:00+02:00"]
)
def test_ts_before_1970_is_out_of_range(ts: str) -> None:
    assert code_of(CDR, with_(VOICE, ts=ts)) == OUT_OF_RANGE


def test_ts_of_1970_and_2999_accepted() -> None:
    assert isinstance(decode(CDR, with_(VOICE, ts="1970-01-01T00:00:00Z")), InputEvent)
    late = decode_event(
        CDR, orjson.dumps(with_(VOICE, ts="2999-12-31T23:59:59Z")), now=4e10,
        max_bytes=2**20, max_future_s=0,
    )  # fmt: skip
    assert isinstance(late, InputEvent)
    beyond = decode_event(
        CDR, orjson.dumps(with_(VOICE, ts="3000-01-01T00:00:00Z")), now=4e10,
        max_bytes=2**20, max_future_s=0,
    )  # fmt: skip
    assert isinstance(beyond, Rejected) and beyond.code == OUT_OF_RANGE


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


# --- the fast path agrees with the definition (issue #8) ------------------------------------------
#
# decode_event() first tries a cheap "does everything pass?" path and falls back to the checks in
# contract order (`_validated`, with `parse_ts`: regex + fromisoformat) for anything else. The
# definition is the reference: for every input, the answer must be exactly the definition's.

FAR_FUTURE = 4.0e9  # a wall clock after every time the tests build


def reference(topic: str, value: dict[str, Any], now: float = NOW) -> InputEvent | Rejected:
    """What decode_event answers for `value` without its fast path: the definition."""
    try:
        return inputs._validated(topic, value, now, MAX_FUTURE_S)
    except inputs._Invalid as bad:
        return bad.rejection


def reference_ts(value: object) -> int | Rejected:
    try:
        return inputs.parse_ts(value)
    except inputs._Invalid as bad:
        return bad.rejection


def assert_ts_agrees(ts: object) -> None:
    """The fast parser answers only for what the definition accepts, with the same time, and
    decode_event (fast path and all) answers exactly as the definition does."""
    fast = inputs._fast_ts(ts)
    expected = reference_ts(ts)
    assert fast is None or fast == expected, (ts, fast, expected)
    value = with_(VOICE, ts=ts)
    defined = reference(CDR, value, now=FAR_FUTURE)
    event = inputs._fast_validated(CDR, value, FAR_FUTURE, MAX_FUTURE_S)
    assert event is None or event == defined, ts
    if not (isinstance(ts, str) and "\ud800" in ts):  # JSON cannot carry a lone surrogate
        assert decode(CDR, value, now=FAR_FUTURE) == defined, ts


# Pieces of timestamps near the RFC 3339 shape: right, of the wrong width, lower case, unicode
# digits (Arabic-Indic, fullwidth, mathematical), week and ordinal dates, leap seconds, 24:00,
# offsets without a colon or out of range, fractions of many digits, whitespace.
_YEARS = ["2026", "2024", "1970", "1969", "1900", "0000", "0001", "9999", "202", "20266", "٢٠٢٦",
          "２０２６", "+2026", " 2026"]  # fmt: skip
_MONTHS = ["03", "01", "02", "12", "00", "13", "3", "٠٣", "𝟎𝟑"]
_DAYS = ["01", "28", "29", "30", "31", "00", "32", "1", "0١"]
_DATES = ["2026-W09-7", "2026W097", "2026-W09", "2026-060", "2026060", "20260301", "2026-03"]
_SEPARATORS = ["T", "T", "t", " ", "_", "", "TT", "\t", "\u00a0", "Ｔ"]
_HOURS = ["08", "00", "23", "24", "8", "٠٨"]
_MINUTES = ["15", "00", "59", "60", "5"]
_SECONDS = ["00", "59", "60", "61", "0", "", "٠٠"]
_FRACTIONS = ["", "", ".1", ".12", ".123", ".999", ".123456", ".1234567", ".9999999", ".",
              "." + "1" * 40, ",123", ".١٢٣", ".12٣", ".1 ", ".+1"]  # fmt: skip
_OFFSETS = ["Z", "+08:00", "-05:30", "z", "+00:00", "-00:00", "+0800", "+08", "+08:00:00",
            "+24:00", "+23:59", "-23:59", "+00:60", "+8:00", "+08:0", "+٠٨:00", "", "Z ", " Z",
            "ZZ", "+08:00Z", "\n", "Z\n", "UTC", "−08:00"]  # fmt: skip

_COMPOSED_TS = st.builds(
    lambda date, sep, hour, minute, second, fraction, offset, colons: (
        f"{date}{sep}{hour}{colons[0]}{minute}{colons[1]}{second}{fraction}{offset}"
    ),
    st.one_of(
        st.builds(
            lambda y, m, d, dash: f"{y}{dash}{m}{dash}{d}",
            st.sampled_from(_YEARS),
            st.sampled_from(_MONTHS),
            st.sampled_from(_DAYS),
            st.sampled_from(["-", "-", "-", "", "/", "‐"]),
        ),
        st.sampled_from(_DATES),
    ),
    st.sampled_from(_SEPARATORS),
    st.sampled_from(_HOURS),
    st.sampled_from(_MINUTES),
    st.sampled_from(_SECONDS),
    st.sampled_from(_FRACTIONS),
    st.sampled_from(_OFFSETS),
    st.sampled_from([(":", ":"), (":", ":"), (":", ":"), ("", ""), (":", ""), ("：", "：")]),
)


def _rfc3339(moment: datetime, offset_minutes: int, fraction: int | None) -> str:
    """`moment` (naive) written in one of the common shapes, with the given offset."""
    text = moment.isoformat(timespec="seconds")  # YYYY-MM-DDTHH:MM:SS, years zero-padded
    if fraction is not None:
        text += f".{fraction:03d}"
    if offset_minutes == 0:
        return text + "Z"
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


_COMMON_TS = st.builds(
    _rfc3339,
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.one_of(st.just(0), st.integers(-(24 * 60 - 1), 24 * 60 - 1)),
    st.one_of(st.none(), st.integers(0, 999)),
)

_EDIT_CHARS = "0123456789-:T.tZz+ ,W٣２\n"


@st.composite
def _edited(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """A valid timestamp with up to three characters replaced, inserted or deleted."""
    text = draw(base)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["replace", "insert", "delete"]))
        char = draw(st.sampled_from(_EDIT_CHARS))
        if edit == "insert":
            text = text[:at] + char + text[at:]
        elif edit == "replace":
            text = text[:at] + char + text[at + 1 :]
        else:
            text = text[:at] + text[at + 1 :]
    return text


@settings(max_examples=1000, deadline=None)
@given(_COMPOSED_TS)
def test_fast_ts_agrees_with_the_definition_near_the_rfc3339_shape(ts: str) -> None:
    assert_ts_agrees(ts)


@settings(max_examples=1000, deadline=None)
@given(_edited(_COMMON_TS))
def test_fast_ts_agrees_with_the_definition_one_edit_from_valid(ts: str) -> None:
    assert_ts_agrees(ts)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789-:T.Z+٣"), min_size=18, max_size=30))
def test_fast_ts_agrees_with_the_definition_on_rfc3339_alphabet_soup(ts: str) -> None:
    assert_ts_agrees(ts)


@settings(max_examples=500, deadline=None)
@given(_COMMON_TS)
def test_fast_ts_reads_every_common_shape(ts: str) -> None:
    """The fast parser is not vacuous: it answers for every valid time of the common shapes."""
    assert inputs._fast_ts(ts) == reference_ts(ts)
    assert inputs._fast_ts(ts) is not None, ts


def _one_edit_away(text: str) -> set[str]:
    """Every string one replaced, inserted or deleted character away from `text`."""
    edited = set()
    for at in range(len(text) + 1):
        edited.add(text[:at] + text[at + 1 :])
        for char in _EDIT_CHARS:
            edited.add(text[:at] + char + text[at + 1 :])
            edited.add(text[:at] + char + text[at:])
    return edited


def test_fast_ts_agrees_with_the_definition_one_edit_from_every_common_shape() -> None:
    """All of them, not a sample: fromisoformat alone takes "+08.00" for "+08:00", say."""
    shapes = [
        "2026-03-01T08:15:00Z",
        "2026-03-01T08:15:00.123Z",
        "2026-03-01T08:15:00+08:00",
        "2026-03-01T08:15:00.123-08:00",
    ]
    for ts in set().union(*map(_one_edit_away, shapes)):
        fast = inputs._fast_ts(ts)
        assert fast is None or fast == reference_ts(ts), ts


@pytest.mark.parametrize(
    "ts",
    [
        "2026-03-01T08:15:00Z",
        "2026-03-01T08:15:00.123+08:00",
        "2026-03-01T08:15:00+08.00",  # fromisoformat reads it as +08:00; the regex refuses it
        "2026-02-29T00:00:00Z",  # not a leap year
        "2024-02-29T00:00:00Z",
        "2026-03-01T24:00:00Z",
        "2026-03-01T23:59:60Z",  # a leap second: RFC 3339 allows it, fromisoformat does not
        "2026-03-01T08:15:00+24:00",
        "2026-03-01T08:15:00+00:60",
        "2026-03-01T08:15:00.999999999Z",
        "9999-12-31T23:59:59.999Z",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+01:00",
        "0000-01-01T00:00:00Z",
        "1969-12-31T23:59:59.500Z",  # before 1970 with a fraction: int() truncates to 0
        "2026-03-01t08:15:00z",
        "2026-W09-7T08:15:00Z",
        "2026-03-01T08:15:00+0800",
        "2026-03-01T08:15:0٣Z",
        "2026-03-01T08:15:00.12٣Z",
        "2026-03-01T08:15:00,123Z",
        "2026-03-01T08:15:00Z\n",
        " 2026-03-01T08:15:00Z",
        "２０２６-03-01T08:15:00Z",
        "2026-03-01T08:15:00−08:00",  # a minus sign, not a hyphen
        "2026-03-01T08:15:00\ud800Z",  # a lone surrogate
        None,
        20260301,
        ["2026-03-01T08:15:00Z"],
    ],
)
def test_fast_ts_agrees_with_the_definition_on_known_edges(ts: object) -> None:
    assert_ts_agrees(ts)


def test_calendar_dates_agree_with_strptime() -> None:
    """`_is_calendar_date` (fromisoformat) accepts exactly the YYYY-MM-DD days strptime does."""
    candidates = [
        f"{year}-{month:02d}-{day:02d}"
        for year in ("0000", "0001", "0004", "1900", "2000", "2024", "2026", "2100", "9999")
        for month in range(14)
        for day in range(33)
    ]
    candidates += [f"{year:04d}-02-29" for year in range(10_000)]
    candidates += ["2026-1-01", "2026-01-1", "20260101", "2026-01-01\n", "2026-٠1-01", ""]
    for value in candidates:
        try:
            inputs._calendar_date({"d": value}, "d")
            defined = True
        except inputs._Invalid:
            defined = False
        assert inputs._is_calendar_date(value) is defined, value


# Values for any field: right, wrong, on and beyond every bound, of every JSON type and some
# no JSON decoder produces (NaN, ±inf, integers beyond 64 bits) for the object-level check.
_EDGE_VALUES = [
    None, True, False, 0, 1, -1, 2, 3, 4, 20, 21, 0.0, -0.0, 0.5, 2.0, -0.01, 1e-300,
    3650, 3651, 7 * 24 * 3600, 7 * 24 * 3600 + 1, 10**6, 10**6 + 1, 10**6 + 0.5, 10**7,
    10**7 + 1, -(10**7), -(10**7) - 1, 10**9, 10**9 + 1, 10**13, 10**13 + 1, 2**63, 2**64 - 1,
    "", "x", "C" * 128, "C" * 129, "r" * 512, "r" * 513, "out", "in", "OUT", "consumer",
    "business", "network", "other", "voice", "sms", "data", "invoice", "profile", "complaint",
    "retained", "+8613800138000", "008613800138000", "10086", "+", "1" * 20, "1" * 21,
    "+" + "1" * 20, "10086\n", "١٢٣", "2026-02", "2026-13", "2026-2", "2026-12-31",
    "2026-02-30", "2024-02-29", "0000-01-01", "2026-1-01", "２０２６-01-01", "2026-01-01\n",
    TS, "2026-03-01T08:15:00", [], ["x"], {}, {"value": 1},
]  # fmt: skip
_ODD_VALUES = [float("nan"), float("inf"), float("-inf"), 10**40, -(10**40)]
_JSON_VALUE = st.one_of(
    st.sampled_from(_EDGE_VALUES),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)

PROFILE: dict[str, Any] = {
    "event_id": "m-2",
    "customer_id": "C000123",
    "ts": TS,
    "kind": "profile",
    "msisdn": "13800138000",
    "plan_id": "P58",
    "plan_fee": 58.0,
    "previous_plan_fee": 88,
    "contract_end": "2026-12-31",
    "segment": "consumer",
    "region": "north",
    "account_manager": "Li",
    "channel": "app",
    "customer_since": "2019-05-01",
    "bundle": 2,
    "device_subsidy_end": "2027-01-31",
    "group_plan": True,
    "premium_number": False,
    "points_balance": 1200,
}
TOPUP: dict[str, Any] = {
    **INVOICE,
    "kind": "overdue",
    "balance": -12.5,
    "days_overdue": 3,
    "plan_fee": 88,
    "reason": "x",
}
FULL_VOICE: dict[str, Any] = {
    **VOICE,
    "direction": "in",
    "charge": 0.25,
    "region": "north",
    "cell_id": "X1",
    "forwarded": True,
    "dropped": False,
    "roaming": False,
}
_BASES = [
    (CDR, VOICE),
    (CDR, FULL_VOICE),
    (CDR, SMS),
    (CDR, DATA),
    (BILLING, INVOICE),
    (BILLING, TOPUP),
    (CRM, COMPLAINT),
    (CRM, PROFILE),
    (OUTCOMES, OUTCOME),
]


def _field_names(topic: str) -> list[str]:
    """Every field a check of `topic` looks at, for any kind (from the definition's tables)."""
    id_field, kind_field, kinds, fields_of = inputs._TOPICS[topic]
    names = {id_field, kind_field, "customer_id", "ts"}
    for kind in kinds:
        required, optional = fields_of(kind)
        names |= {*required, *optional}
    return sorted(names)


@st.composite
def _near_valid(draw: st.DrawFn, odd: bool = False) -> tuple[str, dict[str, Any]]:
    """A valid event with a few of its topic's fields changed, removed, or added."""
    topic, base = draw(st.sampled_from(_BASES))
    names = _field_names(topic)
    values = st.sampled_from(_ODD_VALUES) | _JSON_VALUE if odd else _JSON_VALUE
    changes = draw(st.dictionaries(st.sampled_from(names), values, max_size=3))
    removed = draw(st.sets(st.sampled_from(names), max_size=2))
    value = {k: v for k, v in {**base, **changes}.items() if k not in removed}
    return topic, value


_NOWS = st.sampled_from([NOW, FAR_FUTURE, TS_EPOCH - MAX_FUTURE_S, TS_EPOCH - MAX_FUTURE_S - 1])


@settings(max_examples=1000, deadline=None)
@given(_near_valid(), _NOWS)
def test_decode_agrees_with_the_definition(case: tuple[str, dict[str, Any]], now: float) -> None:
    """Same InputEvent, or a Rejected with the same code and the same detail."""
    topic, value = case
    raw = orjson.dumps(value)
    expected = reference(topic, orjson.loads(raw), now)
    assert decode(topic, raw, now=now) == expected


@settings(max_examples=500, deadline=None)
@given(_near_valid(odd=True), _NOWS)
def test_fast_path_accepts_only_what_the_definition_accepts(
    case: tuple[str, dict[str, Any]], now: float
) -> None:
    """Also for values no JSON decoder produces (NaN, ±inf, integers beyond 64 bits)."""
    topic, value = case
    fast = inputs._fast_validated(topic, value, now, MAX_FUTURE_S)
    assert fast is None or fast == reference(topic, value, now)


@pytest.mark.parametrize(("topic", "value"), _BASES)
def test_fast_path_accepts_the_common_valid_events(topic: str, value: dict[str, Any]) -> None:
    """Not vacuous: the valid events the feeds send take the fast path."""
    event = inputs._fast_validated(topic, value, NOW, MAX_FUTURE_S)
    assert event is not None
    assert event == reference(topic, value)


def test_every_field_check_has_a_fast_rule() -> None:
    """A check without a fast rule would fail at import; two rules for one field are refused."""
    for id_field, _, by_kind in inputs._FAST_TOPICS.values():
        for checks in by_kind.values():
            assert {id_field, "customer_id"} <= set(checks.rules)
    with pytest.raises(ValueError, match="two different checks"):
        inputs._fast_checks("event_id", ({"x": inputs._text}, {"x": inputs._flag}))
