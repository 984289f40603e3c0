"""Applying one valid input event to a customer's state: usage into day buckets, CRM and
billing events into dated facts. Pure: no clock, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import blake2b
from typing import Any

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
from topics.inputs import InputEvent

# CRM fields kept in the profile; phone numbers are kept only as digests (never in outputs).
_PROFILE_FIELDS = (
    "plan_id", "plan_fee", "previous_plan_fee", "contract_end", "segment", "region",
    "account_manager",
    # switching costs (streams.protective)
    "customer_since", "bundle", "device_subsidy_end", "group_plan", "premium_number",
    "points_balance",
)  # fmt: skip
# CRM kinds that change the profile; the others are dated facts.
_PROFILE_CRM = frozenset({"activation", "profile", "contract", "plan_change"})


def phone_digest(number: str) -> str:
    """A short stable digest of a phone number: enough to link contacts, useless to dial."""
    return _digest(normalise_number(number))


def _digest(normalised: str) -> str:
    return blake2b(normalised.encode(), digest_size=6).hexdigest()


def normalise_number(number: str) -> str:
    """Strip the country prefixes the contract names (+86 / 0086)."""
    if number.startswith("+86"):
        return number[3:]
    if number.startswith("0086"):
        return number[4:]
    return number.lstrip("+")


class NumberBook:
    """Recognises competitors' hotlines and our own, as the contract defines a match."""

    def __init__(self, competitors: tuple[str, ...], own_hotline: str = "10086") -> None:
        self.competitors = competitors
        self.own_hotline = own_hotline

    def is_competitor(self, counterpart: str) -> bool:
        return normalise_number(counterpart).startswith(self.competitors)

    def is_own_hotline(self, counterpart: str) -> bool:
        return normalise_number(counterpart) == self.own_hotline

    def is_service(self, normalised: str) -> bool:
        """Ours or a competitor's hotline (an already normalised number)."""
        return normalised == self.own_hotline or normalised.startswith(self.competitors)


def apply_event(
    state: CustomerState,
    event: InputEvent,
    cal: Calendar,
    book: NumberBook,
    top_contacts: int = 10,
) -> None:
    """Fold one event into the state. Dedupe and lateness are decided before this."""
    if event.topic == CDR:
        apply_usage(state.bucket(cal.day(event.ts)), event.kind, event.data, book)
        count_contact(state, event.data, book, top_contacts)
    elif event.topic == BILLING:
        apply_billing(state, event)
    elif event.topic == CRM:
        apply_crm(state, event)


def apply_usage(bucket: list[int], kind: str, data: Mapping[str, Any], book: NumberBook) -> None:
    outgoing = data.get("direction") == "out"
    if kind == "voice":
        _apply_call(bucket, data, outgoing)
    elif kind == "sms":
        bucket[SMS_OUT if outgoing else SMS_IN] += 1
    else:
        bucket[DATA_KB] += int(data["bytes"]) // 1024
        bucket[DATA_SESSIONS] += 1
    counterpart = data.get("counterpart")
    if outgoing and counterpart:
        if book.is_competitor(counterpart):
            bucket[COMPETITOR] += 1
        elif book.is_own_hotline(counterpart):
            bucket[HOTLINE] += 1
    if data.get("charge"):
        bucket[CHARGE_CENTS] += round(data["charge"] * 100)
    if data.get("roaming"):
        bucket[ROAMING] += 1


def count_contact(
    state: CustomerState, data: Mapping[str, Any], book: NumberBook, top_contacts: int
) -> None:
    """Calls and SMS either way count towards the customer's top contacts (social_churn);
    service numbers — ours and the competitors' — are nobody's friends."""
    counterpart = data.get("counterpart")
    if not counterpart:
        return
    number = normalise_number(counterpart)
    if not book.is_service(number):
        state.count_contact(_digest(number), top_contacts)


def _apply_call(bucket: list[int], data: Mapping[str, Any], outgoing: bool) -> None:
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


def apply_billing(state: CustomerState, event: InputEvent) -> None:
    data = event.data
    payload: dict[str, Any] = {"amount": data["amount"]}
    for name in ("balance", "days_overdue", "plan_fee"):
        if data.get(name) is not None:
            payload[name] = data[name]
    state.add_fact(event.ts, event.kind, payload)


def apply_crm(state: CustomerState, event: InputEvent) -> None:
    data = event.data
    payload = {name: data[name] for name in _PROFILE_FIELDS if data.get(name) is not None}
    if event.kind in _PROFILE_CRM:
        if data.get("msisdn"):
            payload["msisdn"] = phone_digest(data["msisdn"])
        state.add_fact(event.ts, event.kind, payload)
        return
    for name in ("category", "severity", "satisfied", "complaint_id"):
        if data.get(name) is not None:
            payload[name] = data[name]
    state.add_fact(event.ts, event.kind, payload)
