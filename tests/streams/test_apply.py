"""`streams.apply` folds events into exactly the state the straightforward definition does.

The hot path (issue #8) normalises a counterpart once, reads each field once and starts digests
from a copied BLAKE2b state; `reference_apply` below is the plain code it replaced, kept as the
definition. Both must leave identical states (to the byte) for any sequence of valid events.
"""

from __future__ import annotations

from hashlib import blake2b
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.apply import NumberBook, _digest, apply_event, normalise_number, phone_digest
from streams.calendar import Calendar
from streams.state import (
    CALLS_IN,
    CALLS_OUT,
    CHARGE_CENTS,
    COMPETITOR,
    DATA_KB,
    DATA_SESSIONS,
    DROPPED,
    FORWARDED,
    HOTLINE,
    ROAMING,
    SMS_IN,
    SMS_OUT,
    VOICE_IN_S,
    VOICE_OUT_S,
    CustomerState,
)
from topics.catalog import BILLING, CDR, CRM
from topics.inputs import BILLING_KINDS, CRM_KINDS, InputEvent

BOOK = NumberBook(("10010", "10000", "10099"))
# A book where our own hotline also starts like a competitor's number: competitor wins.
OVERLAPPING = NumberBook(("100", "1380"))
TS = 1_772_324_100  # 2026-03-01T00:15:00Z


# --- the definition: the code before issue #8 -----------------------------------------------------


def reference_normalise(number: str) -> str:
    if number.startswith("+86"):
        return number[3:]
    if number.startswith("0086"):
        return number[4:]
    return number.lstrip("+")


def reference_digest(number: str) -> str:
    return blake2b(reference_normalise(number).encode(), digest_size=6).hexdigest()


def reference_apply(
    state: CustomerState, event: InputEvent, cal: Calendar, book: NumberBook, top: int = 10
) -> None:
    data = event.data
    if event.topic == CDR:
        bucket = state.bucket(cal.day(event.ts))
        # One change from the code this replaced: a data session's counterpart is ignored.
        outgoing = event.kind != "data" and data.get("direction") == "out"
        if event.kind == "voice":
            seconds = int(data["duration_s"])
            if outgoing:
                bucket[VOICE_OUT_S] += seconds
                bucket[CALLS_OUT] += 1
            else:
                bucket[VOICE_IN_S] += seconds
                bucket[CALLS_IN] += 1
                if data.get("forwarded"):
                    bucket[FORWARDED] += 1
            if data.get("dropped"):
                bucket[DROPPED] += 1
        elif event.kind == "sms":
            bucket[SMS_OUT if outgoing else SMS_IN] += 1
        else:
            bucket[DATA_KB] += int(data["bytes"]) // 1024
            bucket[DATA_SESSIONS] += 1
        counterpart = data.get("counterpart") if event.kind != "data" else None
        if outgoing and counterpart:
            if reference_normalise(counterpart).startswith(book.competitors):
                bucket[COMPETITOR] += 1
            elif reference_normalise(counterpart) == book.own_hotline:
                bucket[HOTLINE] += 1
        if data.get("charge"):
            bucket[CHARGE_CENTS] += round(data["charge"] * 100)
        if data.get("roaming"):
            bucket[ROAMING] += 1
        if counterpart:
            number = reference_normalise(counterpart)
            if not (number == book.own_hotline or number.startswith(book.competitors)):
                state.count_contact(reference_digest(counterpart), top)
    elif event.topic == BILLING:
        payload: dict[str, Any] = {"amount": data["amount"]}
        for name in ("balance", "days_overdue", "plan_fee"):
            if data.get(name) is not None:
                payload[name] = data[name]
        state.add_fact(event.ts, event.kind, payload)
    elif event.topic == CRM:
        fields = (
            "plan_id", "plan_fee", "previous_plan_fee", "contract_end", "segment", "region",
            "account_manager", "customer_since", "bundle", "device_subsidy_end", "group_plan",
            "premium_number", "points_balance",
        )  # fmt: skip
        payload = {name: data[name] for name in fields if data.get(name) is not None}
        if event.kind in {"activation", "profile", "contract", "plan_change"}:
            if data.get("msisdn"):
                payload["msisdn"] = reference_digest(data["msisdn"])
            state.add_fact(event.ts, event.kind, payload)
            return
        for name in ("category", "severity", "satisfied", "complaint_id"):
            if data.get(name) is not None:
                payload[name] = data[name]
        state.add_fact(event.ts, event.kind, payload)


# --- events ---------------------------------------------------------------------------------------

# Our hotline and the competitors' with every prefix the contract names, and ordinary numbers.
NUMBERS = [
    "10086", "+8610086", "008610086", "+10086", "++10086", "0010086", "8610086", "100860",
    "10010", "+8610010123", "0086100001", "+10099", "10099", "1009", "13800138000",
    "+8613800138000", "008613800138000", "+13800138000", "0013800138000", "+86", "0086", "+", "",
    "0", "00", "+0086", "+86+86",
]  # fmt: skip
_NUMBER = st.sampled_from(NUMBERS) | st.from_regex(r"\+?[0-9]{1,20}", fullmatch=True)
_FLAG = st.none() | st.booleans()
_AMOUNT = st.none() | st.integers(0, 10**6) | st.floats(0, 10**6)


@st.composite
def cdr_events(draw: st.DrawFn) -> InputEvent:
    kind = draw(st.sampled_from(["voice", "sms", "data"]))
    data: dict[str, Any] = {"kind": kind}
    if kind != "data":
        data["direction"] = draw(st.sampled_from(["out", "in"]))
        data["counterpart"] = draw(_NUMBER)
    else:
        data["bytes"] = draw(st.integers(0, 10**10) | st.floats(0, 10**10))
        # Fields the contract does not check for data: a string direction and counterpart.
        data["direction"] = draw(st.none() | st.sampled_from(["out", "in", "sideways"]))
        data["counterpart"] = draw(st.none() | _NUMBER)
    if kind == "voice" or draw(st.booleans()):
        data["duration_s"] = draw(st.integers(0, 7 * 24 * 3600) | st.floats(0, 7 * 24 * 3600))
    data.update(
        charge=draw(_AMOUNT),
        roaming=draw(_FLAG),
        forwarded=draw(_FLAG),
        dropped=draw(_FLAG),
    )
    ts = TS + draw(st.integers(-10 * 86_400, 10 * 86_400))
    return InputEvent(CDR, "C1", "e", ts, kind, data)


@st.composite
def fact_events(draw: st.DrawFn) -> InputEvent:
    topic = draw(st.sampled_from([BILLING, CRM]))
    kind = draw(st.sampled_from(BILLING_KINDS if topic == BILLING else CRM_KINDS))
    names = [
        "balance", "days_overdue", "plan_fee", "plan_id", "previous_plan_fee", "contract_end",
        "segment", "region", "account_manager", "customer_since", "bundle",
        "device_subsidy_end", "group_plan", "premium_number", "points_balance", "category",
        "severity", "satisfied", "complaint_id", "channel",
    ]  # fmt: skip
    values = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-5, 5) | st.text(max_size=3)
    data = draw(st.dictionaries(st.sampled_from(names), values, max_size=8))
    data["msisdn"] = draw(st.none() | _NUMBER)
    if topic == BILLING:
        data["amount"] = draw(st.integers(0, 10**7) | st.floats(0, 10**7))
    ts = TS + draw(st.integers(-10 * 86_400, 10 * 86_400))
    return InputEvent(topic, "C1", "e", ts, kind, data)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(cdr_events() | fact_events(), min_size=1, max_size=40),
    st.sampled_from(["UTC", "Asia/Shanghai"]),
    st.integers(1, 4),
    st.sampled_from([BOOK, OVERLAPPING]),
)
def test_apply_leaves_the_state_the_definition_does(
    events: list[InputEvent], tz: str, top: int, book: NumberBook
) -> None:
    cal = Calendar(tz)
    fast, defined = CustomerState("C1"), CustomerState("C1")
    for event in events:
        apply_event(fast, event, cal, book, top)
        reference_apply(defined, event, cal, book, top)
    assert fast == defined
    assert fast.to_bytes() == defined.to_bytes()  # payloads' field order included


@pytest.mark.parametrize("number", NUMBERS)
def test_normalise_and_digest_as_defined(number: str) -> None:
    assert normalise_number(number) == reference_normalise(number)
    assert phone_digest(number) == reference_digest(number)
    assert _digest(number) == blake2b(number.encode(), digest_size=6).hexdigest()


def test_digests_do_not_leak_into_each_other() -> None:
    """Each digest starts from a fresh copy: computing one never changes the next."""
    first = phone_digest("13800138000")
    phone_digest("13900139000")
    assert phone_digest("13800138000") == first


def test_outgoing_calls_to_service_numbers_count_and_are_nobodys_friends() -> None:
    state = CustomerState("C1")
    cal = Calendar()
    for i, to in enumerate(["+8610010", "008610086", "13800138000", "13800138000"]):
        data = {"direction": "out", "duration_s": 60, "counterpart": to, "charge": 0.5}
        apply_event(state, InputEvent(CDR, "C1", f"e{i}", TS, "voice", data), cal, BOOK)
    bucket = state.days[cal.day(TS)]
    assert (bucket[COMPETITOR], bucket[HOTLINE], bucket[CALLS_OUT]) == (1, 1, 4)
    assert bucket[CHARGE_CENTS] == 200
    assert state.contacts == {reference_digest("13800138000"): 2}


@pytest.mark.parametrize("counterpart", [5, ["10010"], True, "10010", "+8613800000001"])
def test_a_data_session_has_no_other_party(counterpart: Any) -> None:
    # The contract ignores a counterpart on a data record; it is not validated, so it is never
    # read — whatever its type, nothing but the data counters moves.
    state = CustomerState("C000001")
    data = {"kind": "data", "bytes": 4096, "direction": "out", "counterpart": counterpart}
    event = InputEvent(CDR, "C000001", "e", 1_772_352_000, "data", data)
    apply_event(state, event, Calendar(), NumberBook(("10010",)))
    (bucket,) = state.days.values()
    assert (bucket[DATA_KB], bucket[DATA_SESSIONS], bucket[COMPETITOR]) == (4, 1, 0)
    assert state.contacts == {}
