"""A customer's story as events: a small builder for scenario tests of the stream logic."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from streams.offline import ReplayRecord
from topics.catalog import BILLING, CDR, CRM

START = date(2026, 1, 5)  # a Monday


def at(day: int, hour: int = 12, minute: int = 0, start: date = START) -> str:
    moment = datetime.combine(start + timedelta(days=day), datetime.min.time(), UTC)
    return (moment + timedelta(hours=hour, minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Story:
    customer_id: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _seq: int = 0

    def _add(self, topic: str, ts: str, kind: str, **fields: Any) -> Story:
        self._seq += 1
        value = {"event_id": f"{self.customer_id}-{self._seq}", "customer_id": self.customer_id}
        self.events.append((topic, {**value, "ts": ts, "kind": kind, **fields}))
        return self

    def call(self, day: int, minutes: float = 5, to: str = "13800000001", hour: int = 10) -> Story:
        return self._add(
            CDR, at(day, hour), "voice", direction="out", duration_s=int(minutes * 60),
            counterpart=to,
        )  # fmt: skip

    def sms(self, day: int, to: str = "13800000001", hour: int = 11) -> Story:
        return self._add(CDR, at(day, hour), "sms", direction="out", counterpart=to)

    def data(self, day: int, mb: float = 200, hour: int = 20) -> Story:
        return self._add(CDR, at(day, hour), "data", bytes=int(mb * 1024 * 1024))

    def steady(self, first: int, last: int, scale: float = 1.0) -> Story:
        """An ordinary customer: a few calls, an SMS and data every day."""
        for day in range(first, last + 1):
            self.call(day, 6 * scale).call(day, 4 * scale, hour=17).sms(day)
            self.data(day, 300 * scale)
        return self

    def crm(self, day: int, kind: str, hour: int = 9, **fields: Any) -> Story:
        return self._add(CRM, at(day, hour), kind, **fields)

    def billing(self, day: int, kind: str, amount: float, hour: int = 8, **fields: Any) -> Story:
        return self._add(BILLING, at(day, hour), kind, amount=amount, **fields)

    def records(self) -> Iterator[tuple[str, str, ReplayRecord]]:
        for topic, value in self.events:
            yield (
                value["ts"],
                value["event_id"],
                ReplayRecord(topic, self.customer_id, orjson.dumps(value)),
            )


def merged(*stories: Story) -> list[ReplayRecord]:
    """All stories' events in event-time order (ties by event id), as a live feed would be."""
    rows = sorted(r for s in stories for r in s.records())
    return [record for _, _, record in rows]
