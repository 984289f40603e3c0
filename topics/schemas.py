"""JSON Schema (draft 2020-12) for every record of the wire contract, in `topics/schemas/`.

The contract promises "JSON Schema files for every record ... under `topics/schemas/`". They are
generated from this module, never edited by hand:

    python -m topics.schemas            # (re)write topics/schemas/*.json
    python -m topics.schemas --check    # exit 1, listing the files that are out of date

Input schemas are derived from the validator tables of `topics.inputs` (which fields are checked,
with which check and bounds), so a field added there changes the generated schema and the
staleness check fails until the files are regenerated. They accept unknown fields
(`additionalProperties: true`): the contract ignores them for forward compatibility. Optional
fields may be `null`, which the decoder treats as absent. What a schema cannot say: `ts` more than
`max_future_s` after the wall clock (`out_of_range`) or behind the allowed lateness (`too_late`)
depends on clocks, and the size limit (`too_large`) on the raw bytes.

Output schemas describe exactly what `to_wire()` of `topics.records` emits: every field
required, nothing else allowed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from topics import inputs
from topics.catalog import ALERTS, BILLING, CDR, CRM, DEADLETTER, OUTCOMES, TASKS
from topics.records import (
    ALERT_LEVELS,
    ALERT_STATUSES,
    CHANNELS,
    PREVIOUS_LEVELS,
    REASON_CATEGORIES,
    SCHEMA_VERSION,
    STAGES,
    VALUE_TIERS,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE_URL = "https://churnwatch.example/schemas/"
SCHEMA_DIR = Path(__file__).parent / "schemas"
_DUMP_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
_DEFAULT_NUMBER_MAX = 10**9  # `topics.inputs._number`'s bound for fields without a `_MAX` entry

Schema = dict[str, Any]

# --- descriptions: the contract's wording --------------------------------------------------------

_TS = (
    "Event time, RFC 3339 with an offset (2026-03-01T08:15:00+08:00 or ...Z). An event stamped "
    "more than 1 day (default) after the wall clock is out_of_range; one later than the allowed "
    "lateness (default 3 days behind the watermark) is too_late."
)
_CUSTOMER_ID = (
    "The customer. Also the message key (UTF-8 bytes): every customer-scoped topic is "
    "partitioned by Kafka's default murmur2 hash of it."
)
_EVENT_ID = (
    "Unique per source event. A repeated event_id for the same customer within the dedupe "
    "horizon (default 3 days) is ignored: re-delivery never double-counts usage."
)

_INPUT_FIELDS: dict[str, str] = {
    "event_id": _EVENT_ID,
    "customer_id": _CUSTOMER_ID,
    "ts": _TS,
    "charge": "Charge in currency units, >= 0.",
    "region": "Region.",
    "cell_id": "Cell id.",
    "forwarded": "Voice: incoming call forwarded elsewhere. Default false.",
    "dropped": "Voice: call cut by the network. Default false.",
    "roaming": "Voice: made or received while roaming. Default false.",
    "duration_s": "Duration in seconds, >= 0. Required for voice, optional for data.",
    "direction": "Voice and SMS: out | in.",
    "counterpart": "Voice and SMS: the other party's number (digits, may start with +).",
    "bytes": "Data: volume in bytes, >= 0.",
    "amount": "Amount in currency units, >= 0.",
    "period": "Billing period, YYYY-MM (invoices).",
    "plan_fee": "Monthly package value.",
    "previous_plan_fee": "Monthly package value before the change (plan_change).",
    "balance": "Prepaid balance after the event.",
    "days_overdue": "Days overdue (overdue).",
    "reason": "Dispute reason (dispute).",
    "msisdn": (
        "The customer's own number, so that other customers' counterpart numbers can be "
        "linked to them."
    ),
    "plan_id": "Plan id.",
    "contract_end": "Contract end date, YYYY-MM-DD.",
    "segment": "consumer | business.",
    "account_manager": "Account manager.",
    "complaint_id": "Complaint id.",
    "category": "Complaint category: network | billing | service | price | other.",
    "severity": "Complaint severity, 1-3.",
    "satisfied": "Whether the customer was satisfied (complaint_resolved).",
    "channel": "Channel.",
    "task_id": "The care.tasks task_id this outcome reports on.",
    "customer_since": (
        "Profile: the date the customer joined, YYYY-MM-DD, for tenure when the activation "
        "is older than the history (an activation event wins)."
    ),
    "bundle": (
        "Profile: how many other services (home broadband, TV...) are bundled with the line; "
        "0 when none."
    ),
    "device_subsidy_end": (
        "Profile: the date a subsidised device is paid off, YYYY-MM-DD (leaving earlier repays "
        "the rest)."
    ),
    "group_plan": "Profile: the line is on a family or group plan.",
    "premium_number": "Profile: the line has a premium (golden) number.",
    "points_balance": "Profile: loyalty points not yet redeemed, >= 0.",
}

_KIND_DESCRIPTIONS = {
    CDR: "voice | sms | data.",
    BILLING: "invoice | payment | topup | overdue | dispute | refund.",
    CRM: (
        "activation starts tenure; profile merges the given fields into the customer's "
        "profile; port_out_completed and deactivation mean the customer has churned."
    ),
    OUTCOMES: "The result of the care task.",
}

_TOPIC_DESCRIPTIONS = {
    CDR: "Call-detail records: voice, SMS, data.",
    BILLING: "Invoices, payments, top-ups, overdue notices, disputes, refunds.",
    CRM: (
        "Activation, profile, contract, plan changes, complaints, cancel / port-out inquiries, "
        "churn."
    ),
    OUTCOMES: "Results of care tasks, reported by the care desk.",
    ALERTS: "Churn-risk alerts (key customer_id).",
    TASKS: "Care tasks for the retention team (key customer_id).",
    DEADLETTER: (
        "Messages refused by the worker, with the reason. The worker keeps running; the "
        "original message is kept in raw."
    ),
}

# --- input schemas, derived from topics.inputs ---------------------------------------------------


def _anchored(pattern: str) -> str:
    """`topics.inputs` uses `fullmatch`; JSON Schema patterns are unanchored searches."""
    return f"^(?:{pattern})$"


def _check_schema(check: inputs.Check, name: str) -> Schema:
    """The JSON Schema keywords equivalent to one of `topics.inputs`' field checks."""
    text_bounds = {"minLength": 1, "maxLength": inputs._MAX_TEXT_CHARS}
    if check is inputs._text:
        return {"type": "string", **text_bounds}
    if check is inputs._number:
        return {
            "type": "number",
            "minimum": 0,
            "maximum": inputs._MAX.get(name, _DEFAULT_NUMBER_MAX),
        }
    if check is inputs._balance:
        bound = inputs._MAX[name]
        return {"type": "number", "minimum": -bound, "maximum": bound}
    if check is inputs._flag:
        return {"type": "boolean"}
    if check is inputs._direction:
        return {"type": "string", "enum": ["out", "in"]}
    if check is inputs._segment:
        return {"type": "string", "enum": ["consumer", "business"]}
    if check is inputs._category:
        return {"type": "string", "enum": list(inputs.COMPLAINT_CATEGORIES)}
    if check is inputs._severity:
        return {"type": "integer", "minimum": 1, "maximum": 3}
    if check is inputs._bundle:
        return {"type": "integer", "minimum": 0, "maximum": inputs.MAX_BUNDLED_SERVICES}
    if check is inputs._days_overdue:
        return {"type": "integer", "minimum": 0, "maximum": inputs._MAX["days_overdue"]}
    if check is inputs._phone:
        return {"type": "string", **text_bounds, "pattern": _anchored(inputs._PHONE.pattern)}
    if check is inputs._period:
        return {"type": "string", **text_bounds, "pattern": _anchored(inputs._PERIOD.pattern)}
    if check is inputs._calendar_date:
        pattern = _anchored(inputs._DATE.pattern)
        return {"type": "string", **text_bounds, "pattern": pattern, "format": "date"}
    raise ValueError(f"no JSON Schema equivalent for the check of {name!r}: {check!r}")


def _field(check: inputs.Check, name: str, *, nullable: bool) -> Schema:
    """A property: the check's keywords, its description, and `null` when it is optional."""
    schema = {"description": _INPUT_FIELDS[name], **_check_schema(check, name)}
    if nullable:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def _input_schema(topic: str, checks: Mapping[str, inputs.Check]) -> Schema:
    """The common part of an input topic's schema plus its optional fields (`checks`)."""
    id_field, kind_field, kinds, _ = inputs._TOPICS[topic]
    ident = {"type": "string", "minLength": 1, "maxLength": inputs._MAX_ID_CHARS}
    properties: Schema = {
        id_field: {"description": _INPUT_FIELDS[id_field], **ident},
        "customer_id": {"description": _INPUT_FIELDS["customer_id"], **ident},
        "ts": {"description": _INPUT_FIELDS["ts"], "type": "string", "format": "date-time"},
        kind_field: {
            "description": _KIND_DESCRIPTIONS[topic],
            "type": "string",
            "enum": list(kinds),
        },
    }
    for name, check in checks.items():
        properties[name] = _field(check, name, nullable=True)
    return {
        "$schema": DRAFT,
        "$id": f"{BASE_URL}{topic}.v1.json",
        "title": f"{topic} message value (v1)",
        "description": _TOPIC_DESCRIPTIONS[topic] + " Unknown fields are ignored.",
        "type": "object",
        "required": [id_field, "customer_id", "ts", kind_field],
        "properties": properties,
        "additionalProperties": True,
    }


def cdr_schema() -> Schema:
    """`telecom.cdr`: common fields, per-kind required fields via `allOf` of `if`/`then`."""
    schema = _input_schema(CDR, inputs._CDR_OPTIONAL)
    branches = []
    for kind, required in inputs._CDR_REQUIRED_BY_KIND.items():
        for name in required:
            # Fields checked only for some kinds are described, not constrained, at the top.
            schema["properties"].setdefault(name, {"description": _INPUT_FIELDS[name]})
        branches.append(
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {
                    "required": list(required),
                    "properties": {
                        name: _field(check, name, nullable=False)
                        for name, check in required.items()
                    },
                },
            }
        )
    schema["allOf"] = branches
    return schema


def billing_schema() -> Schema:
    """`telecom.billing`: `amount` is required for every kind."""
    schema = _input_schema(BILLING, inputs._BILLING_OPTIONAL)
    schema["required"].append("amount")
    schema["properties"]["amount"] = _field(inputs._number, "amount", nullable=False)
    return schema


def crm_schema() -> Schema:
    """`telecom.crm`: every field beyond the common ones is optional, for every kind."""
    return _input_schema(CRM, inputs._CRM_OPTIONAL)


def outcomes_schema() -> Schema:
    """`care.outcomes`: `task_id`, `customer_id`, `ts`, `outcome`."""
    return _input_schema(OUTCOMES, {})


# --- output schemas, mirroring topics.records' to_wire() -----------------------------------------


def _string(description: str) -> Schema:
    return {"description": description, "type": "string"}


def _enum(description: str, values: Sequence[str]) -> Schema:
    return {"description": description, "type": "string", "enum": list(values)}


def _time(description: str) -> Schema:
    return {"description": description, "type": "string", "format": "date-time"}


def _strings(description: str) -> Schema:
    return {"description": description, "type": "array", "items": {"type": "string"}}


def _schema_field() -> Schema:
    return {"description": "Record schema version.", "const": SCHEMA_VERSION}


def _output_schema(topic: str, properties: Schema) -> Schema:
    return {
        "$schema": DRAFT,
        "$id": f"{BASE_URL}{topic}.v1.json",
        "title": f"{topic} record (v1)",
        "description": _TOPIC_DESCRIPTIONS[topic],
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }


def alert_schema() -> Schema:
    """`churn.alerts`, as `topics.records.Alert.to_wire()` emits it."""
    reason = {
        "type": "object",
        "required": ["signal", "contribution", "value", "detail"],
        "properties": {
            "signal": _string("Signal id."),
            "contribution": {
                "description": (
                    "Contribution to the score, in log-odds points; negative for a protective "
                    "factor (a switching cost), which comes after every warning signal."
                ),
                "type": "number",
            },
            "value": {"description": "Observed value of the signal.", "type": "number"},
            "detail": _string('One human sentence ("voice minutes down 72% vs 4-week baseline").'),
        },
        "additionalProperties": False,
    }
    schema = _output_schema(
        ALERTS,
        {
            "alert_id": _string("Deterministic: same input history -> same id."),
            "customer_id": _string("The customer (also the message key)."),
            "status": _enum("raised | escalated | cleared.", ALERT_STATUSES),
            "level": _enum(
                "medium | high | critical (cleared: the level being cleared).", ALERT_LEVELS
            ),
            "previous_level": _enum("none | medium | high | critical.", PREVIOUS_LEVELS),
            "score": {
                "description": "Churn risk score, 0..1 (3 decimals).",
                "type": "number",
                "minimum": 0,
                "maximum": 1,
            },
            "ts": _time("Event time of the evaluation."),
            "emitted_at": _time("Wall-clock time of emission."),
            "stage": _enum("acquisition | growth | maturity | decline | departure.", STAGES),
            "value_tier": _enum("platinum | gold | silver | standard.", VALUE_TIERS),
            "reasons": {
                "description": "{signal, contribution, value, detail}, highest contribution first.",
                "type": "array",
                "items": reason,
            },
            "window": {
                "description": "Summary figures the score was computed from.",
                "type": "object",
                "additionalProperties": {"type": "number"},
            },
            "model": _string("Identifier of the scoring weights in force."),
            "reason_category": _enum(
                "The churn cause behind the alert: the category of its top warning reason by "
                "the policy's table (a cleared alert: the category it clears). Always set by "
                "churnwatch; optional for consumers.",
                REASON_CATEGORIES,
            ),
            "schema": _schema_field(),
        },
    )
    schema["required"].remove("reason_category")
    return schema


def task_schema() -> Schema:
    """`care.tasks`, as `topics.records.CareTask.to_wire()` emits it."""
    offer = {
        "description": "The offer to make, {code, description}, or null.",
        "type": ["object", "null"],
        "required": ["code", "description"],
        "properties": {"code": _string("Offer code."), "description": _string("The offer.")},
        "additionalProperties": False,
    }
    return _output_schema(
        TASKS,
        {
            "task_id": _string("Deterministic task id."),
            "customer_id": _string("The customer (also the message key)."),
            "alert_id": _string("The churn.alerts alert_id behind the task."),
            "action": _string(
                "Playbook action id (e.g. renewal_bundle, complaint_callback, retention_call)."
            ),
            "channel": _enum(
                "account_manager | retention_desk | outbound_call | sms | app_push | store.",
                CHANNELS,
            ),
            "priority": {
                "description": "1 (highest) .. 4.",
                "type": "integer",
                "minimum": 1,
                "maximum": 4,
            },
            "created_at": _time("Event time."),
            "due_at": _time("created_at + SLA."),
            "expires_at": _time("When the task expires."),
            "stage": _enum("acquisition | growth | maturity | decline | departure.", STAGES),
            "value_tier": _enum("platinum | gold | silver | standard.", VALUE_TIERS),
            "reasons": _strings("Signal ids behind the task."),
            "talking_points": _strings("Talking points for the care agent."),
            "offer": offer,
            "control": {
                "description": (
                    "True when the customer was drawn into the no-contact holdout group."
                ),
                "type": "boolean",
            },
            "schema": _schema_field(),
        },
    )


def deadletter_schema() -> Schema:
    """`churnwatch.deadletter`, as `topics.records.DeadLetter.to_wire()` emits it."""
    nullable_text = "string", "null"
    return _output_schema(
        DEADLETTER,
        {
            "topic": _string("The topic the refused message was read from."),
            "partition": {
                "description": "Its partition; -1 for an output record of ours, refused before "
                "it was sent.",
                "type": "integer",
                "minimum": -1,
            },
            "offset": {
                "description": "Its offset; -1 for an output record of ours.",
                "type": "integer",
                "minimum": -1,
            },
            "key": {
                "description": (
                    "Its key as text, or base64 when not UTF-8 (at most its first 1 KiB, masked "
                    "like raw); null without a key."
                ),
                "type": list(nullable_text),
            },
            "error": {
                "description": "Why it was refused.",
                "type": "object",
                "required": ["code", "detail"],
                "properties": {
                    "code": _enum("Error code.", inputs.ERROR_CODES),
                    "detail": _string("One sentence for a human."),
                },
                "additionalProperties": False,
            },
            "raw": {
                "description": (
                    "The original bytes as text, or base64 when not UTF-8: at most the first 64 "
                    "KiB of them; with CHURNWATCH_DEADLETTER_RAW=masked (the default) runs of six "
                    "or more digits are replaced by #; null without a value or when the setting "
                    "is none."
                ),
                "type": list(nullable_text),
            },
            "raw_truncated": {
                "description": "True when raw holds only the first 64 KiB of the original.",
                "type": "boolean",
            },
            "raw_size": {
                "description": "Bytes of the original value.",
                "type": "integer",
                "minimum": 0,
            },
            "raw_sha256": {
                "description": "SHA-256 of the original value, hex; null without a value.",
                "type": list(nullable_text),
            },
            "at": _time("Wall-clock time the message was refused."),
            "schema": _schema_field(),
        },
    )


# --- files ----------------------------------------------------------------------------------------


def all_schemas() -> dict[str, Schema]:
    """Every record's schema, keyed by its file name in `topics/schemas/`."""
    built = {
        CDR: cdr_schema(),
        BILLING: billing_schema(),
        CRM: crm_schema(),
        OUTCOMES: outcomes_schema(),
        ALERTS: alert_schema(),
        TASKS: task_schema(),
        DEADLETTER: deadletter_schema(),
    }
    return {f"{topic}.json": schema for topic, schema in built.items()}


def render(schema: Schema) -> bytes:
    """The exact bytes of a published schema file."""
    return orjson.dumps(schema, option=_DUMP_OPTIONS) + b"\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema file into `directory` (created if needed); return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in all_schemas().items():
        path = directory / name
        path.write_bytes(render(schema))
        written.append(path)
    return written


def stale_schemas(directory: Path) -> list[str]:
    """File names in `directory` that are missing or differ from what would be generated."""
    stale = []
    for name, schema in all_schemas().items():
        path = directory / name
        if not path.is_file() or path.read_bytes() != render(schema):
            stale.append(name)
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m topics.schemas",
        description=f"Generate the contract's JSON Schema files into {SCHEMA_DIR}.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the files that are missing or out of date",
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_schemas(SCHEMA_DIR)
        for name in stale:
            print(f"stale: {SCHEMA_DIR / name}", file=sys.stderr)
        if stale:
            print("run `python -m topics.schemas` to regenerate them", file=sys.stderr)
            return 1
        return 0
    for path in write_schemas(SCHEMA_DIR):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
