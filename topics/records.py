"""Output records of the wire contract: `churn.alerts`, `care.tasks`, `churnwatch.deadletter`.

Each record knows its wire form (`to_wire()`, a JSON-ready dict with exactly the contract's
fields and `"schema": 1`). Ids are computed by the stream logic, deterministically, so that a
replay of the same history produces the same ids.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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

    def to_wire(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "key": _as_text(self.key),
            "error": {"code": self.code, "detail": self.detail},
            "raw": _as_text(self.raw),
            "at": rfc3339(self.at),
            "schema": SCHEMA_VERSION,
        }


def _as_text(data: bytes | None) -> str | None:
    """The original bytes as text, or base64 when they are not UTF-8 (the contract's rule)."""
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii")
