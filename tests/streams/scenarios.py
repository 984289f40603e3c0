"""Helpers for the stream-logic tests: a customer's story as state, views at a day close,
and partition-mates that keep an engine's event-time clock moving."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from config.policy import Policy
from streams.apply import NumberBook, apply_event
from streams.calendar import Calendar
from streams.offline import FAR_FUTURE, OfflineRunner, ReplayRecord
from streams.population import Population
from streams.state import CustomerState
from streams.view import CustomerView
from tests.support.story import START, Story, at, merged
from topics.catalog import CDR
from topics.inputs import InputEvent, decode_event
from topics.partitioning import partition_for

UTC = Calendar("UTC")
PARTITIONS = 8
BASE_DAY = UTC.day_of_date(START)  # local day number of the stories' day 0


class Life(Story):
    """A `Story` with the few extra events the tests need."""

    def incoming(
        self,
        day: int,
        minutes: float = 5,
        hour: int = 14,
        frm: str = "13900000002",
        **flags: bool,
    ) -> Life:
        """An incoming call; `flags` are the CDR's booleans (forwarded, dropped, roaming)."""
        return self._add(  # type: ignore[return-value]
            CDR,
            at(day, hour),
            "voice",
            direction="in",
            duration_s=int(minutes * 60),
            counterpart=frm,
            **flags,
        )

    def outgoing(
        self, day: int, minutes: float = 5, hour: int = 10, to: str = "13800000001", **fields: Any
    ) -> Life:
        """An outgoing call with optional CDR fields (charge, dropped, roaming)."""
        return self._add(  # type: ignore[return-value]
            CDR,
            at(day, hour),
            "voice",
            direction="out",
            duration_s=int(minutes * 60),
            counterpart=to,
            **fields,
        )

    def usage(self, first: int, last: int, minutes: float, mb: float) -> Life:
        """One outgoing call of `minutes` and one data session of `mb` per day, no SMS."""
        for day in range(first, last + 1):
            self.call(day, minutes).data(day, mb)
        return self

    def paid_usage(self, first: int, last: int, charge: float) -> Life:
        """One outgoing call a day charged `charge` (what the usage is worth)."""
        for day in range(first, last + 1):
            self.outgoing(day, 5, charge=charge)
        return self

    def roaming(self, first: int, last: int) -> Life:
        """Days abroad: calls, an SMS and data as usual, every record flagged roaming."""
        for day in range(first, last + 1):
            self.outgoing(day, 6, roaming=True).outgoing(day, 4, hour=17, roaming=True)
            self._add(
                CDR, at(day, 11), "sms", direction="out", counterpart="13800000001", roaming=True
            )
            self._add(CDR, at(day, 20), "data", bytes=300 * 1024 * 1024, roaming=True)
        return self


def decoded(record: ReplayRecord) -> InputEvent:
    event = decode_event(
        record.topic, record.value, now=FAR_FUTURE, max_bytes=1 << 20, max_future_s=86_400
    )
    assert isinstance(event, InputEvent), event
    return event


def state_of(*stories: Story, policy: Policy | None = None) -> CustomerState:
    """One customer's state with every event of the stories applied (no engine, no clock)."""
    policy = policy or Policy()
    book = NumberBook(policy.signals.competitor_contact.numbers)
    state = CustomerState(stories[0].customer_id)
    for record in merged(*stories):
        apply_event(state, decoded(record), UTC, book)
    return state


def day_close(
    state: CustomerState, day: int, cal: Calendar = UTC, population: Population | None = None
) -> CustomerView:
    """The view the day-close sweep takes at the midnight that starts story day `day`."""
    local = BASE_DAY + day
    return CustomerView.of(state, cal.day_start(local), local - 1, cal, population)


def midnight(day: int) -> int:
    """Epoch second of the midnight (UTC) that starts story day `day`."""
    return UTC.day_start(BASE_DAY + day)


def mate_of(customer_id: str, n: int = 1, partitions: int = PARTITIONS) -> list[str]:
    """`n` customer ids that land on the same partition as `customer_id`."""
    home = partition_for(customer_id, partitions)
    ids = (f"M{i:06d}" for i in range(1, 10_000))
    return [c for c in ids if partition_for(c, partitions) == home][:n]


def clock_keeper(customer_id: str, last_day: int) -> Story:
    """A steady partition-mate whose events carry the engine's clock to `last_day`."""
    return Story(mate_of(customer_id)[0]).steady(0, last_day)


def run(
    records: Iterable[ReplayRecord],
    policy: Policy | None = None,
    cal: Calendar = UTC,
    partitions: int = PARTITIONS,
) -> OfflineRunner:
    """Run records offline and keep the runner, so the tests can look at engine state."""
    runner = OfflineRunner(policy or Policy(), cal, partitions)
    runner.run(records)
    return runner


def state_in(runner: OfflineRunner, customer_id: str) -> CustomerState:
    return runner.engines[partition_for(customer_id, runner.partitions)].states[customer_id]


def value_of(record: ReplayRecord) -> dict[str, Any]:
    return orjson.loads(record.value)
