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
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

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
_DIRECTIONS = ("out", "in")
_SEGMENTS = ("consumer", "business")
_SEVERITY_RANGE = (1, 3)


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why a message was refused: a contract error code and one sentence for a human."""

    code: str
    detail: str


class InputEvent(NamedTuple):
    """A valid input event. `data` is the decoded object; optional fields are read from it.

    For `care.outcomes`, `event_id` is the task id and `kind` the outcome. A named tuple, not
    a frozen dataclass: one is made per message read, and a frozen dataclass's __init__ (a
    `object.__setattr__` call per field) cost ~1 us of it.
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
_DEFAULT_MAX = 10**9  # for a number without a `_MAX` entry
_PHONE = re.compile(r"\+?[0-9]{1,20}")
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# fromisoformat() alone accepts week dates, missing seconds and offsets without a colon.
# An offset's minutes stop at 59 (RFC 3339 time-minute): fromisoformat() would read
# "+00:60" as one hour, an event time off by an hour rather than a refusal.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-5][0-9])"
)
_MAX_ID_CHARS = 128
_MAX_TEXT_CHARS = 512
_MAX_CUSTOMER_ID_BYTES = 128
# C0 and C1 control characters: an id holding one could reach our own bookkeeping keys (the
# changelog's internal keys start with NUL) or break a log line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# The contract's event times: a stamp outside these years is a broken clock, not history.
FIRST_YEAR, LAST_YEAR = 1970, 2999
_FIRST_TS = int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp())
_END_TS = int(datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp())


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
    most = _MAX.get(name, _DEFAULT_MAX)
    if not math.isfinite(value) or value < 0 or value > most:
        raise _Invalid(OUT_OF_RANGE, f"{name}={value} is outside 0..{most}")
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
    return _choice(obj, name, _SEGMENTS, OUT_OF_RANGE)


def _direction(obj: Mapping[str, Any], name: str) -> str:
    return _choice(obj, name, _DIRECTIONS, OUT_OF_RANGE)


def _severity(obj: Mapping[str, Any], name: str) -> int:
    return _integer(obj, name, *_SEVERITY_RANGE)


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


# The shapes nearly every feed sends, YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM), told apart by length.
# In all four, indexes 4, 7, 10, 13 and 16 hold "-", "-", "T", ":", ":" (`value[4:17:3]`).
_TS_Z = 20  # ...SSZ
_TS_FRACTION_Z = 24  # ...SS.fffZ
_TS_OFFSET = 25  # ...SS±HH:MM
_TS_FRACTION_OFFSET = 29  # ...SS.fff±HH:MM
# The colon of an offset and its minutes' tens, which stop at 5 (see _RFC3339).
_OFFSET_MINUTES = frozenset(":" + tens for tens in "012345")


def _fast_ts(value: object) -> int | None:
    """`parse_ts(value)` for the common shapes, without the regex; None for any other shape
    or anything invalid (the caller then asks `parse_ts`, which stays the definition).

    Here only the punctuation and an offset's minute tens are checked. fromisoformat() reads
    every other position of these shapes as an ASCII digit and refuses a date or time that
    does not exist, so together they accept exactly what the regex + fromisoformat definition
    accepts for these shapes (tests/topics/test_inputs.py checks that on hostile strings)."""
    if type(value) is not str or value[4:17:3] != "--T::":
        return None
    size = len(value)
    if size == _TS_Z:
        shaped = value[19] == "Z"
    elif size == _TS_OFFSET:
        shaped = value[19] in "+-" and value[22:24] in _OFFSET_MINUTES
    elif size == _TS_FRACTION_Z:
        shaped = value[19] == "." and value[23] == "Z"
    elif size == _TS_FRACTION_OFFSET:
        shaped = value[19] == "." and value[23] in "+-" and value[26:28] in _OFFSET_MINUTES
    else:
        return None
    if not shaped:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Every shape above ends in an offset, so `moment` is aware: timestamp() needs no local zone.
    return int(moment.timestamp())


def _required(obj: Mapping[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if obj.get(name) is None:
            raise _Invalid(MISSING_FIELD, f"required field {name} is missing")


def _optional(obj: Mapping[str, Any], checks: Mapping[str, Check]) -> None:
    for name, check in checks.items():
        if obj.get(name) is not None:
            check(obj, name)


def customer_id_problem(value: object) -> str | None:
    """Why `value` is not a customer id the contract accepts, or None when it is one:
    1-128 bytes of UTF-8, no control characters, no whitespace at either end."""
    if not isinstance(value, str):
        return f"customer_id must be a string, got {type(value).__name__}"
    size = len(value.encode("utf-8", "surrogatepass"))
    if not 0 < size <= _MAX_CUSTOMER_ID_BYTES:
        return f"customer_id must have 1 to {_MAX_CUSTOMER_ID_BYTES} bytes of UTF-8, has {size}"
    if _CONTROL.search(value):
        return "customer_id holds a control character"
    if value != value.strip():
        return "customer_id has whitespace at one end"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "customer_id is not valid UTF-8"
    return None


def _customer_id(obj: Mapping[str, Any]) -> str:
    value = obj["customer_id"]
    problem = customer_id_problem(value)
    if problem is not None:
        raise _Invalid(BAD_TYPE, problem)
    assert isinstance(value, str)
    return value


def _in_years(ts: int) -> int:
    if not _FIRST_TS <= ts < _END_TS:
        raise _Invalid(OUT_OF_RANGE, f"ts is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return ts


def _common(obj: Mapping[str, Any], id_field: str, kind_field: str) -> tuple[str, str, int]:
    _required(obj, (id_field, "customer_id", "ts", kind_field))
    event_id = _text(obj, id_field, _MAX_ID_CHARS)
    customer_id = _customer_id(obj)
    return event_id, customer_id, _in_years(parse_ts(obj["ts"]))


# A topic's field checks beyond the common ones, for one kind: (required, optional).
FieldChecks = tuple[Mapping[str, Check], Mapping[str, Check]]
_BILLING_REQUIRED: dict[str, Check] = {"amount": _number}
_NO_CHECKS: dict[str, Check] = {}


def _cdr_fields(kind: str) -> FieldChecks:
    return _CDR_REQUIRED_BY_KIND[kind], _CDR_OPTIONAL


def _billing_fields(kind: str) -> FieldChecks:
    return _BILLING_REQUIRED, _BILLING_OPTIONAL


def _crm_fields(kind: str) -> FieldChecks:
    return _NO_CHECKS, _CRM_OPTIONAL


def _outcome_fields(kind: str) -> FieldChecks:
    return _NO_CHECKS, _NO_CHECKS


def _validate_fields(obj: Mapping[str, Any], fields: FieldChecks) -> None:
    required, optional = fields
    _required(obj, tuple(required))
    for name, check in required.items():
        check(obj, name)
    _optional(obj, optional)


# topic -> (id field, kind field, kinds, the field checks of a kind)
_TOPICS: dict[str, tuple[str, str, tuple[str, ...], Callable[[str], FieldChecks]]] = {
    CDR: ("event_id", "kind", CDR_KINDS, _cdr_fields),
    BILLING: ("event_id", "kind", BILLING_KINDS, _billing_fields),
    CRM: ("event_id", "kind", CRM_KINDS, _crm_fields),
    OUTCOMES: ("task_id", "outcome", OUTCOMES_KINDS, _outcome_fields),
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
    event = _fast_validated(topic, obj, now, max_future_s)
    if event is not None:
        return event
    try:
        return _validated(topic, obj, now, max_future_s)
    except _Invalid as bad:
        return bad.rejection


def _validated(topic: str, obj: dict[str, Any], now: float, max_future_s: float) -> InputEvent:
    """The definition: every check in the contract's order; the first to fail is the answer."""
    id_field, kind_field, kinds, fields_of = _TOPICS[topic]
    event_id, customer_id, ts = _common(obj, id_field, kind_field)
    kind = _choice(obj, kind_field, kinds, UNKNOWN_KIND)
    if ts > now + max_future_s:
        raise _Invalid(OUT_OF_RANGE, f"ts is {(ts - now) / 3600:.0f} h after the wall clock")
    _validate_fields(obj, fields_of(kind))
    return InputEvent(topic, customer_id, event_id, ts, kind, obj)


# --- the fast path --------------------------------------------------------------------------------
#
# decode_event() runs for every message the worker reads (issue #8: a quarter of its CPU), and
# nearly every message is valid. The checks above say precisely what is wrong with a bad message
# but cost a dozen small Python calls per event. The fast path only asks "does every check
# pass?", in one pass over the fields present against rules derived from the same field checks
# (`_fast_rule`), and when the answer is anything but a clear yes it leaves the message to
# `_validated` — the definition, which finds the first failing check in the contract's order and
# words the rejection. So the fast path may accept only what the definition accepts, and builds
# the very same InputEvent; a message it is unsure of costs a second pass, never another answer.


# What a field's rule tests, in `_passes`; the second item of a rule is the test's argument.
_RULE_TEXT = 0  # a string of 1 to (argument) characters
_RULE_NUMBER = 1  # an int or a float (never a bool) within (argument) = (least, most)
_RULE_INTEGER = 2  # an int (never a bool) within (argument) = (least, most)
_RULE_FLAG = 3  # true or false
_RULE_CHOICE = 4  # one of the strings of (argument), a frozenset
_RULE_PATTERN = 5  # a text that (argument), a compiled regex, matches in full
_RULE_DATE = 6  # a YYYY-MM-DD text that is a calendar date
Rule = tuple[int, Any]


class _Fast(NamedTuple):
    """Everything `_validated` checks of one topic and kind, but ts and the kind itself."""

    required: tuple[str, ...]  # present and not null
    rules: dict[str, Rule]  # field -> its rule; null counts as absent, as in `_optional`


def _fast_rule(check: Check, name: str) -> Rule:
    """The rule equivalent to the field check `check` of `name`, with the same bounds."""
    if check is _text:
        return _RULE_TEXT, _MAX_TEXT_CHARS
    if check is _number:
        return _RULE_NUMBER, (0, _MAX.get(name, _DEFAULT_MAX))
    if check is _balance:
        return _RULE_NUMBER, (-_MAX[name], _MAX[name])
    if check is _severity:
        return _RULE_INTEGER, _SEVERITY_RANGE
    if check is _days_overdue:
        return _RULE_INTEGER, (0, _MAX["days_overdue"])
    if check is _bundle:
        return _RULE_INTEGER, (0, MAX_BUNDLED_SERVICES)
    if check is _flag:
        return _RULE_FLAG, None
    if check is _direction:
        return _RULE_CHOICE, frozenset(_DIRECTIONS)
    if check is _segment:
        return _RULE_CHOICE, frozenset(_SEGMENTS)
    if check is _category:
        return _RULE_CHOICE, frozenset(COMPLAINT_CATEGORIES)
    if check is _phone:
        return _RULE_PATTERN, _PHONE
    if check is _period:
        return _RULE_PATTERN, _PERIOD
    if check is _calendar_date:
        return _RULE_DATE, None
    # A new kind of check needs its rule here (and its JSON Schema in topics.schemas).
    raise ValueError(f"no fast rule for the check of {name!r}: {check!r}")


def _fast_checks(id_field: str, fields: FieldChecks) -> _Fast:
    """The `_Fast` form of the common checks (but ts and the kind) and of `fields`."""
    required, optional = fields
    rules: dict[str, Rule] = {
        id_field: (_RULE_TEXT, _MAX_ID_CHARS),
        "customer_id": (_RULE_TEXT, _MAX_ID_CHARS),
    }
    for name, check in (*required.items(), *optional.items()):
        rule = _fast_rule(check, name)
        # duration_s is both required (voice) and optional, with the same check; one rule per
        # field is all `_passes` can apply.
        if rules.setdefault(name, rule) != rule:
            raise ValueError(f"{name} has two different checks")
    return _Fast((id_field, "customer_id", *required), rules)


def _fast_topics() -> dict[str, tuple[str, str, dict[str, _Fast]]]:
    """topic -> (id field, kind field, {kind: its `_Fast` form}); an unknown kind has none."""
    tables = {}
    for topic, (id_field, kind_field, kinds, fields_of) in _TOPICS.items():
        by_kind = {kind: _fast_checks(id_field, fields_of(kind)) for kind in kinds}
        tables[topic] = (id_field, kind_field, by_kind)
    return tables


_FAST_TOPICS = _fast_topics()
_NUMBER_TYPES = (int, float)  # exact types: a bool is not a number here, as in `_number`


def _fast_validated(
    topic: str, obj: dict[str, Any], now: float, max_future_s: float
) -> InputEvent | None:
    """The event `_validated` would return when `obj` clearly passes; None when in any doubt."""
    tables = _FAST_TOPICS.get(topic)
    if tables is None:
        return None
    id_field, kind_field, by_kind = tables
    kind = obj.get(kind_field)
    if type(kind) is not str:
        return None
    checks = by_kind.get(kind)
    if checks is None or not _passes(obj, checks):
        return None
    ts = _event_time(obj.get("ts"))
    if ts is None or ts > now + max_future_s or not _FIRST_TS <= ts < _END_TS:
        return None
    customer_id = obj["customer_id"]  # 1 to 128 characters: its rule passed
    # Printable ASCII with no space at either end is always valid; anything else is left to
    # `customer_id_problem`, through the definition.
    if not (customer_id.isascii() and customer_id.isprintable()) or " " in (
        customer_id[0],
        customer_id[-1],
    ):
        return None
    return InputEvent(topic, customer_id, obj[id_field], ts, kind, obj)


def _passes(obj: Mapping[str, Any], checks: _Fast) -> bool:
    """Whether every check of `checks` passes: the field checks above condensed to their
    conditions, in one pass over the fields present and with no call per field."""
    get = obj.get
    for name in checks.required:
        if get(name) is None:
            return False
    rules = checks.rules
    for name, value in obj.items():
        rule = rules.get(name)
        if rule is None or value is None:  # unchecked, or null: absent (required: seen above)
            continue
        test, argument = rule
        if test == _RULE_TEXT:
            if not (type(value) is str and 0 < len(value) <= argument):
                return False
        elif test == _RULE_NUMBER:
            least, most = argument
            # NaN and ±inf fail the comparison: the definition refuses them too.
            if not (type(value) in _NUMBER_TYPES and least <= value <= most):
                return False
        elif test == _RULE_FLAG:
            if type(value) is not bool:
                return False
        elif test == _RULE_CHOICE:
            if not (type(value) is str and value in argument):
                return False
        elif test == _RULE_PATTERN:
            if not (
                type(value) is str
                and 0 < len(value) <= _MAX_TEXT_CHARS
                and argument.fullmatch(value)
            ):
                return False
        elif test == _RULE_INTEGER:
            least, most = argument
            if not (type(value) is int and least <= value <= most):
                return False
        elif not _is_calendar_date(value):  # _RULE_DATE
            return False
    return True


def _is_calendar_date(value: object) -> bool:
    """What `_calendar_date` accepts: after `_DATE` (10 ASCII characters, within every length
    bound), date.fromisoformat() and strptime("%Y-%m-%d") refuse the same days (year 0, month
    13, February 30...), and fromisoformat costs a fraction of strptime."""
    if type(value) is not str or not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _event_time(value: object) -> int | None:
    """Epoch seconds of a valid ts, else None: the common shapes cheaply, others as defined."""
    ts = _fast_ts(value)
    if ts is not None:
        return ts
    try:
        return parse_ts(value)
    except _Invalid:
        return None
