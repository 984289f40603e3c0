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
# Optional fields a billing fact and a CRM (non-profile) fact keep, beyond the profile's.
_BILLING_FIELDS = ("balance", "days_overdue", "plan_fee")
_CRM_FACT_FIELDS = ("category", "severity", "satisfied", "complaint_id")
# First characters of a number `normalise_number` may change ("+86", "0086", "+").
_PREFIX_STARTS = ("+", "0")


def phone_digest(number: str) -> str:
    """A short stable digest of a phone number: enough to link contacts, useless to dial."""
    return _digest(normalise_number(number))


# An empty 6-byte BLAKE2b state. Copying it is the cheaper way to start a digest (half the cost
# of the constructor, which sets the parameters up again each time); it is never updated itself.
_DIGEST_START = blake2b(digest_size=6)


def _digest(normalised: str) -> str:
    """blake2b(normalised.encode(), digest_size=6).hexdigest(), from `_DIGEST_START`."""
    digest = _DIGEST_START.copy()
    digest.update(normalised.encode())
    return digest.hexdigest()


def normalise_number(number: str) -> str:
    """Strip the country prefixes the contract names (+86 / 0086)."""
    if not number.startswith(_PREFIX_STARTS):  # most numbers: nothing to strip, one test
        return number
    if number.startswith("+86"):
        return number[3:]
    if number.startswith("0086"):
        return number[4:]
    return number.lstrip("+")


class NumberBook:
    """Recognises competitors' hotlines and our own, as the contract defines a match. Every
    method takes a number already through `normalise_number`: a CDR's counterpart is
    normalised once and asked about up to three times."""

    def __init__(self, competitors: tuple[str, ...], own_hotline: str = "10086") -> None:
        self.competitors = competitors
        self.own_hotline = own_hotline

    def is_competitor(self, normalised: str) -> bool:
        return normalised.startswith(self.competitors)

    def is_own_hotline(self, normalised: str) -> bool:
        return normalised == self.own_hotline

    def is_service(self, normalised: str) -> bool:
        """Ours or a competitor's hotline."""
        return self.is_own_hotline(normalised) or self.is_competitor(normalised)


def apply_event(
    state: CustomerState,
    event: InputEvent,
    cal: Calendar,
    book: NumberBook,
    top_contacts: int = 10,
) -> None:
    """Fold one event into the state. Dedupe and lateness are decided before this."""
    topic = event.topic
    if topic == CDR:
        data = event.data
        # The usage pass hands its normalised counterpart on: normalised once, not up to 3 times.
        number = apply_usage(state.bucket(cal.day(event.ts)), event.kind, data, book)
        if event.kind != "data":
            count_contact(state, data, book, top_contacts, number)
    elif topic == BILLING:
        apply_billing(state, event)
    elif topic == CRM:
        apply_crm(state, event)


def apply_usage(
    bucket: list[int], kind: str, data: Mapping[str, Any], book: NumberBook
) -> str | None:
    """Count one CDR into its day's bucket. Returns the normalised counterpart when it was
    needed here (an outgoing call or SMS), for `count_contact`; None otherwise.

    A data session has no other party: the contract ignores a `direction` or `counterpart`
    it carries (unvalidated, so they are never read)."""
    outgoing = kind != "data" and data.get("direction") == "out"
    if kind == "voice":
        _apply_call(bucket, data, outgoing)
    elif kind == "sms":
        bucket[SMS_OUT if outgoing else SMS_IN] += 1
    else:
        bucket[DATA_KB] += int(data["bytes"]) // 1024
        bucket[DATA_SESSIONS] += 1
    counterpart = data.get("counterpart")
    number = None
    if outgoing and counterpart:
        number = normalise_number(counterpart)
        if book.is_competitor(number):
            bucket[COMPETITOR] += 1
        elif book.is_own_hotline(number):
            bucket[HOTLINE] += 1
    charge = data.get("charge")
    if charge:
        bucket[CHARGE_CENTS] += round(charge * 100)
    if data.get("roaming"):
        bucket[ROAMING] += 1
    return number


def count_contact(
    state: CustomerState,
    data: Mapping[str, Any],
    book: NumberBook,
    top_contacts: int,
    normalised: str | None = None,
) -> None:
    """Calls and SMS either way count towards the customer's top contacts (social_churn);
    service numbers — ours and the competitors' — are nobody's friends. `normalised`: the
    counterpart already normalised, when the caller has it."""
    counterpart = data.get("counterpart")
    if not counterpart:
        return
    number = normalise_number(counterpart) if normalised is None else normalised
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
    _copy_present(data, _BILLING_FIELDS, payload)
    state.add_fact(event.ts, event.kind, payload)


def apply_crm(state: CustomerState, event: InputEvent) -> None:
    data = event.data
    payload: dict[str, Any] = {}
    _copy_present(data, _PROFILE_FIELDS, payload)
    if event.kind in _PROFILE_CRM:
        msisdn = data.get("msisdn")
        if msisdn:
            payload["msisdn"] = phone_digest(msisdn)
        state.add_fact(event.ts, event.kind, payload)
        return
    _copy_present(data, _CRM_FACT_FIELDS, payload)
    state.add_fact(event.ts, event.kind, payload)


def _copy_present(data: Mapping[str, Any], names: tuple[str, ...], into: dict[str, Any]) -> None:
    """Copy the fields of `names` that are present and not null, in that order (the order is
    the payload's, which the state's bytes keep)."""
    get = data.get
    for name in names:
        value = get(name)
        if value is not None:
            into[name] = value
