"""Decoding and validating input messages against the wire contract.

Errors are data: `decode_event()` returns either an `InputEvent` or a `Rejected` carrying the
contract's error code and a human reason, never raises on bad input. Which checks need the
worker's event-time clock (`too_late`) is the stream engine's business, not this module's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from topics.catalog import BILLING, CDR, CRM, OUTCOMES

INVALID_JSON = "invalid_json"
MISSING_FIELD = "missing_field"
BAD_TYPE = "bad_type"
UNKNOWN_KIND = "unknown_kind"
OUT_OF_RANGE = "out_of_range"
TOO_LATE = "too_late"
TOO_LARGE = "too_large"
ERROR_CODES = (
    INVALID_JSON,
    MISSING_FIELD,
    BAD_TYPE,
    UNKNOWN_KIND,
    OUT_OF_RANGE,
    TOO_LATE,
    TOO_LARGE,
)

CDR_KINDS = ("voice", "sms", "data")
BILLING_KINDS = ("invoice", "payment", "topup", "overdue", "dispute", "refund")
CRM_KINDS = (
    "activation", "profile", "contract", "plan_change", "complaint", "complaint_resolved",
    "cancel_inquiry", "port_out_request", "port_out_completed", "deactivation", "care_contact",
)  # fmt: skip
OUTCOMES_KINDS = ("accepted_offer", "retained", "declined", "unreachable", "churned")
COMPLAINT_CATEGORIES = ("network", "billing", "service", "price", "other")


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why a message was refused: a contract error code and one sentence for a human."""

    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class InputEvent:
    """A valid input event. `data` is the decoded object; optional fields are read from it.

    For `care.outcomes`, `event_id` is the task id and `kind` the outcome.
    """

    topic: str
    customer_id: str
    event_id: str
    ts: int  # event time, epoch seconds
    kind: str
    data: Mapping[str, Any]


class _Invalid(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.rejection = Rejected(code, detail)


# Upper bounds on quantities: beyond these a value is a broken meter or an attack, not usage.
_MAX = {
    "duration_s": 7 * 24 * 3600,
    "bytes": 10**13,
    "charge": 10**6,
    "amount": 10**7,
    "plan_fee": 10**6,
    "previous_plan_fee": 10**6,
    "balance": 10**7,
    "days_overdue": 3650,
    "points_balance": 10**9,
}
_PHONE = re.compile(r"\+?[0-9]{1,20}")
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# fromisoformat() alone accepts week dates, missing seconds and offsets without a colon.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_MAX_ID_CHARS = 128
_MAX_TEXT_CHARS = 512


def _text(obj: Mapping[str, Any], name: str, limit: int = _MAX_TEXT_CHARS) -> str:
    value = obj[name]
    if not isinstance(value, str):
        raise _Invalid(BAD_TYPE, f"{name} must be a string, got {type(value).__name__}")
    if not value or len(value) > limit:
        raise _Invalid(OUT_OF_RANGE, f"{name} must have 1 to {limit} characters")
    return value


def _number(obj: Mapping[str, Any], name: str) -> float:
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(BAD_TYPE, f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0 or value > _MAX.get(name, 10**9):
        raise _Invalid(OUT_OF_RANGE, f"{name}={value} is outside 0..{_MAX.get(name, 10**9)}")
    return value


def _signed_number(obj: Mapping[str, Any], name: str) -> float:
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(BAD_TYPE, f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or abs(value) > _MAX[name]:
        raise _Invalid(OUT_OF_RANGE, f"{name}={value} is outside ±{_MAX[name]}")
    return value


def _integer(obj: Mapping[str, Any], name: str, lo: int, hi: int) -> int:
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(BAD_TYPE, f"{name} must be an integer, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise _Invalid(OUT_OF_RANGE, f"{name}={value} is outside {lo}..{hi}")
    return value


def _flag(obj: Mapping[str, Any], name: str) -> bool:
    value = obj[name]
    if not isinstance(value, bool):
        raise _Invalid(BAD_TYPE, f"{name} must be true or false, got {type(value).__name__}")
    return value


def _choice(obj: Mapping[str, Any], name: str, allowed: tuple[str, ...], code: str) -> str:
    value = obj[name]
    if not isinstance(value, str):
        raise _Invalid(BAD_TYPE, f"{name} must be a string, got {type(value).__name__}")
    if value not in allowed:
        raise _Invalid(code, f"{name} {value[:40]!r} is not one of {', '.join(allowed)}")
    return value


def _pattern(obj: Mapping[str, Any], name: str, pattern: re.Pattern[str], what: str) -> str:
    value = _text(obj, name)
    if not pattern.fullmatch(value):
        raise _Invalid(OUT_OF_RANGE, f"{name} {value[:40]!r} is not {what}")
    return value


def _phone(obj: Mapping[str, Any], name: str) -> str:
    return _pattern(obj, name, _PHONE, "a phone number (digits, optional leading +)")


def _calendar_date(obj: Mapping[str, Any], name: str) -> str:
    value = _pattern(obj, name, _DATE, "a YYYY-MM-DD date")
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError as exc:
        raise _Invalid(OUT_OF_RANGE, f"{name} {value!r} is not a calendar date") from exc
    return value


def _category(obj: Mapping[str, Any], name: str) -> str:
    return _choice(obj, name, COMPLAINT_CATEGORIES, OUT_OF_RANGE)


def _segment(obj: Mapping[str, Any], name: str) -> str:
    return _choice(obj, name, ("consumer", "business"), OUT_OF_RANGE)


def _direction(obj: Mapping[str, Any], name: str) -> str:
    return _choice(obj, name, ("out", "in"), OUT_OF_RANGE)


def _severity(obj: Mapping[str, Any], name: str) -> int:
    return _integer(obj, name, 1, 3)


def _days_overdue(obj: Mapping[str, Any], name: str) -> int:
    return _integer(obj, name, 0, _MAX["days_overdue"])


def _balance(obj: Mapping[str, Any], name: str) -> float:
    return _signed_number(obj, name)


def _period(obj: Mapping[str, Any], name: str) -> str:
    return _pattern(obj, name, _PERIOD, "a YYYY-MM period")


MAX_BUNDLED_SERVICES = 20


def _bundle(obj: Mapping[str, Any], name: str) -> int:
    """How many other services (home broadband, TV...) are bundled with the line; 0: none."""
    return _integer(obj, name, 0, MAX_BUNDLED_SERVICES)


Check = Callable[[Mapping[str, Any], str], object]

_CDR_OPTIONAL: dict[str, Check] = {
    "charge": _number, "region": _text, "cell_id": _text,
    "forwarded": _flag, "dropped": _flag, "roaming": _flag, "duration_s": _number,
}  # fmt: skip
_CDR_REQUIRED_BY_KIND: dict[str, dict[str, Check]] = {
    "voice": {"direction": _direction, "duration_s": _number, "counterpart": _phone},
    "sms": {"direction": _direction, "counterpart": _phone},
    "data": {"bytes": _number},
}
_BILLING_OPTIONAL: dict[str, Check] = {
    "period": _period, "plan_fee": _number, "balance": _balance,
    "days_overdue": _days_overdue, "reason": _text,
}  # fmt: skip
_CRM_OPTIONAL: dict[str, Check] = {
    "msisdn": _phone, "plan_id": _text, "plan_fee": _number, "previous_plan_fee": _number,
    "contract_end": _calendar_date, "segment": _segment, "region": _text,
    "account_manager": _text, "complaint_id": _text, "category": _category,
    "severity": _severity, "satisfied": _flag, "channel": _text,
    # Switching costs (issue #10), profile fields a feed may add; absent means unknown.
    "customer_since": _calendar_date, "bundle": _bundle, "device_subsidy_end": _calendar_date,
    "group_plan": _flag, "premium_number": _flag, "points_balance": _number,
}  # fmt: skip


def parse_ts(value: object) -> int:
    """RFC 3339 with an offset -> epoch seconds. Raises `_Invalid` otherwise."""
    if not isinstance(value, str):
        raise _Invalid(BAD_TYPE, f"ts must be an RFC 3339 string, got {type(value).__name__}")
    if not _RFC3339.fullmatch(value):
        raise _Invalid(BAD_TYPE, f"ts {value[:40]!r} is not an RFC 3339 time with an offset")
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError as exc:
        raise _Invalid(BAD_TYPE, f"ts {value[:40]!r} is not an RFC 3339 time") from exc
    if moment.tzinfo is None:
        raise _Invalid(BAD_TYPE, f"ts {value[:40]!r} has no UTC offset")
    return int(moment.timestamp())


def _required(obj: Mapping[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if obj.get(name) is None:
            raise _Invalid(MISSING_FIELD, f"required field {name} is missing")


def _optional(obj: Mapping[str, Any], checks: Mapping[str, Check]) -> None:
    for name, check in checks.items():
        if obj.get(name) is not None:
            check(obj, name)


def _common(obj: Mapping[str, Any], id_field: str, kind_field: str) -> tuple[str, str, int]:
    _required(obj, (id_field, "customer_id", "ts", kind_field))
    event_id = _text(obj, id_field, _MAX_ID_CHARS)
    customer_id = _text(obj, "customer_id", _MAX_ID_CHARS)
    return event_id, customer_id, parse_ts(obj["ts"])


def _validate_cdr(obj: Mapping[str, Any], kind: str) -> None:
    required = _CDR_REQUIRED_BY_KIND[kind]
    _required(obj, tuple(required))
    for name, check in required.items():
        check(obj, name)
    _optional(obj, _CDR_OPTIONAL)


def _validate_billing(obj: Mapping[str, Any], kind: str) -> None:
    _required(obj, ("amount",))
    _number(obj, "amount")
    _optional(obj, _BILLING_OPTIONAL)


def _validate_crm(obj: Mapping[str, Any], kind: str) -> None:
    _optional(obj, _CRM_OPTIONAL)


def _validate_outcome(obj: Mapping[str, Any], kind: str) -> None:
    return None


_TOPICS: dict[str, tuple[str, str, tuple[str, ...], Callable[[Mapping[str, Any], str], None]]] = {
    CDR: ("event_id", "kind", CDR_KINDS, _validate_cdr),
    BILLING: ("event_id", "kind", BILLING_KINDS, _validate_billing),
    CRM: ("event_id", "kind", CRM_KINDS, _validate_crm),
    OUTCOMES: ("task_id", "outcome", OUTCOMES_KINDS, _validate_outcome),
}


def decode_event(
    topic: str, raw: bytes | None, *, now: float, max_bytes: int, max_future_s: float
) -> InputEvent | Rejected:
    """Decode one message value of an input `topic`; `now` is the wall clock (epoch seconds)."""
    if raw is None or not raw:
        return Rejected(INVALID_JSON, "empty message value")
    if len(raw) > max_bytes:
        return Rejected(TOO_LARGE, f"message of {len(raw)} bytes exceeds {max_bytes}")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Rejected(INVALID_JSON, f"not valid JSON: {str(exc)[:120]}")
    if not isinstance(obj, dict):
        return Rejected(INVALID_JSON, f"expected a JSON object, got {type(obj).__name__}")
    try:
        return _validated(topic, obj, now, max_future_s)
    except _Invalid as bad:
        return bad.rejection


def _validated(topic: str, obj: dict[str, Any], now: float, max_future_s: float) -> InputEvent:
    id_field, kind_field, kinds, validate = _TOPICS[topic]
    event_id, customer_id, ts = _common(obj, id_field, kind_field)
    kind = _choice(obj, kind_field, kinds, UNKNOWN_KIND)
    if ts > now + max_future_s:
        raise _Invalid(OUT_OF_RANGE, f"ts is {(ts - now) / 3600:.0f} h after the wall clock")
    validate(obj, kind)
    return InputEvent(topic, customer_id, event_id, ts, kind, obj)
