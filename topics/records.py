"""Output records of the wire contract: `churn.alerts`, `care.tasks`, `churnwatch.deadletter`.

Each record knows its wire form (`to_wire()`, a JSON-ready dict with exactly the contract's
fields and `"schema": 1`). Ids are computed by the stream logic, deterministically, so that a
replay of the same history produces the same ids.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from config.settings import RAW_MODES

SCHEMA_VERSION = 1
ALERT_STATUSES = ("raised", "escalated", "cleared")
ALERT_LEVELS = ("medium", "high", "critical")
PREVIOUS_LEVELS = ("none", "medium", "high", "critical")
STAGES = ("acquisition", "growth", "maturity", "decline", "departure")
VALUE_TIERS = ("platinum", "gold", "silver", "standard")
CHANNELS = ("account_manager", "retention_desk", "outbound_call", "sms", "app_push", "store")
# The playbook's churn causes, for an alert's `reason_category`.
REASON_CATEGORIES = ("product", "price", "service", "benefit", "management", "industry", "natural")


def rfc3339(epoch_s: float) -> str:
    """Epoch seconds -> RFC 3339 UTC with `Z`, second precision."""
    return datetime.fromtimestamp(int(epoch_s), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wire_number(value: float) -> int | float:
    """A figure for the wire: three decimals, and a whole number as an integer (22 days, not
    22.0). Compiled (mypyc), a float attribute holds an int as a float; this way the wire says
    the same whichever build of the hot path made it."""
    rounded = round(float(value), 3)
    return int(rounded) if rounded.is_integer() else rounded


@dataclass(frozen=True, slots=True)
class Reason:
    """One signal behind a score: its log-odds contribution, observed value and a sentence.
    A protective factor (a switching cost) is a reason with a negative contribution."""

    signal: str
    contribution: float
    value: float
    detail: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "contribution": round(self.contribution, 3),
            "value": wire_number(self.value),
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Alert:
    alert_id: str
    customer_id: str
    status: str
    level: str
    previous_level: str
    score: float
    ts: int
    stage: str
    value_tier: str
    reasons: tuple[Reason, ...]
    window: dict[str, float]
    model: str
    # One of REASON_CATEGORIES: the churn cause behind the alert. Always set by the producer;
    # optional for consumers (absent from records written before it existed).
    reason_category: str | None = None

    def to_wire(self, emitted_at: float) -> dict[str, Any]:
        wire = {
            "alert_id": self.alert_id,
            "customer_id": self.customer_id,
            "status": self.status,
            "level": self.level,
            "previous_level": self.previous_level,
            "score": round(self.score, 3),
            "ts": rfc3339(self.ts),
            "emitted_at": rfc3339(emitted_at),
            "stage": self.stage,
            "value_tier": self.value_tier,
            "reasons": [r.to_wire() for r in self.reasons],
            "window": self.window,
            "model": self.model,
            "schema": SCHEMA_VERSION,
        }
        if self.reason_category is not None:
            wire["reason_category"] = self.reason_category
        return wire


@dataclass(frozen=True, slots=True)
class Offer:
    code: str
    description: str


@dataclass(frozen=True, slots=True)
class CareTask:
    task_id: str
    customer_id: str
    alert_id: str
    action: str
    channel: str
    priority: int
    created_at: int
    due_at: int
    expires_at: int
    stage: str
    value_tier: str
    reasons: tuple[str, ...]
    talking_points: tuple[str, ...]
    offer: Offer | None
    control: bool

    def to_wire(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "customer_id": self.customer_id,
            "alert_id": self.alert_id,
            "action": self.action,
            "channel": self.channel,
            "priority": self.priority,
            "created_at": rfc3339(self.created_at),
            "due_at": rfc3339(self.due_at),
            "expires_at": rfc3339(self.expires_at),
            "stage": self.stage,
            "value_tier": self.value_tier,
            "reasons": list(self.reasons),
            "talking_points": list(self.talking_points),
            "offer": (
                {"code": self.offer.code, "description": self.offer.description}
                if self.offer
                else None
            ),
            "control": self.control,
            "schema": SCHEMA_VERSION,
        }


# A dead letter keeps at most this much of the refused value (and of its key), so that it is
# always small enough to publish: 64 KiB of the worst bytes is 384 KiB of JSON escapes.
RAW_KEPT_BYTES = 64 * 1024
KEY_KEPT_BYTES = 1024
_DIGIT_RUN = re.compile(rb"[0-9]{6,}")
NO_SOURCE = -1  # partition and offset of a dead letter for an output record of ours


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    code: str
    detail: str
    raw: bytes | None
    at: float = field(default=0.0)
    raw_mode: str = "masked"  # CHURNWATCH_DEADLETTER_RAW: full | masked | none

    def to_wire(self) -> dict[str, Any]:
        raw = self.raw
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "key": _as_text(_kept(self.key, KEY_KEPT_BYTES, self.raw_mode)),
            "error": {"code": self.code, "detail": self.detail},
            "raw": _as_text(_kept(raw, RAW_KEPT_BYTES, self.raw_mode)),
            "raw_truncated": raw is not None and len(raw) > RAW_KEPT_BYTES,
            "raw_size": len(raw) if raw is not None else 0,
            "raw_sha256": hashlib.sha256(raw).hexdigest() if raw is not None else None,
            "at": rfc3339(self.at),
            "schema": SCHEMA_VERSION,
        }


def _kept(data: bytes | None, most: int, mode: str) -> bytes | None:
    """What a dead letter keeps of `data`: its first `most` bytes, digit runs of six or more
    (phone numbers) masked unless `mode` is full; nothing when `mode` is none."""
    assert mode in RAW_MODES, mode
    if data is None or mode == "none":
        return None
    head = data[:most]
    if mode != "full":
        head = _DIGIT_RUN.sub(lambda run: b"#" * len(run.group()), head)
    return head


def _as_text(data: bytes | None) -> str | None:
    """The bytes as text, or base64 when they are not UTF-8 (the contract's rule). A cut that
    split the last character is still text: the partial character is dropped."""
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as bad:
        if bad.start >= len(data) - 3 and bad.reason == "unexpected end of data":
            return data[: bad.start].decode("utf-8")
        return base64.b64encode(data).decode("ascii")
