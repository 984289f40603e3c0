"""The ingest loop's rebalance rule, on plain values: a flush that fails while partitions are
revoked halts the worker and drops what it held (its partitions' new owner replays them);
a background write that failed stops the worker at its next step."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry

from agents.changelog_writer import ChangelogError
from agents.ingest import Ingest, QuietInputs
from agents.metrics import Metrics
from agents.pipeline import Emissions
from streams.state import CustomerState


class _FailingWriter:
    async def write(self, records: Any) -> None:
        raise ChangelogError("the broker is gone")


class _Pipeline:
    def __init__(self) -> None:
        self.forgotten: set[int] = set()

    def forget(self, partitions: set[int]) -> None:
        self.forgotten |= partitions


def test_a_failed_flush_on_revocation_halts_and_keeps_nothing_to_write_later() -> None:
    pipeline = _Pipeline()
    ingest = Ingest(
        {}, "group", 10.0, cast(Any, pipeline), cast(Any, None), cast(Any, None),
        Metrics(CollectorRegistry()), cast(Any, None), cast(Any, _FailingWriter()),
    )  # fmt: skip
    cdr0 = TopicPartition("telecom.cdr", 0)
    ingest.pending.add(Emissions(states=[(0, CustomerState("C000001"))]), {cdr0: 7})
    asyncio.run(ingest.on_revoked({cdr0}))
    assert isinstance(ingest.failed, ChangelogError)
    assert ingest.halted and ingest.pending.empty
    assert pipeline.forgotten == {0}


def test_a_background_write_that_failed_stops_the_next_step() -> None:
    ingest = Ingest(
        {}, "group", 10.0, cast(Any, _Pipeline()), cast(Any, None), cast(Any, None),
        Metrics(CollectorRegistry()), cast(Any, None), cast(Any, _FailingWriter()),
    )  # fmt: skip
    cdr0 = TopicPartition("telecom.cdr", 0)

    async def two_quiet_polls() -> None:
        ingest.pending.add(Emissions(states=[(0, CustomerState("C000001"))]), {cdr0: 7})
        await ingest.flush_slice(quiet=True)  # cut, serialised, written in the background
        assert ingest.writing is not None and ingest.cut is None
        await asyncio.wait([ingest.writing])
        with pytest.raises(ChangelogError):
            await ingest.flush_slice(quiet=True)

    asyncio.run(two_quiet_polls())


def test_an_input_is_quiet_only_once_it_has_brought_nothing_for_the_timeout() -> None:
    now = [100.0]
    quiet = QuietInputs(5.0, clock=lambda: now[0])
    cdr = TopicPartition("telecom.cdr", 0)
    assert quiet.quiet(cdr)  # never heard of: nothing to wait for
    quiet.heard([cdr])
    now[0] += 4.9
    assert not quiet.quiet(cdr)  # a file may still be coming
    now[0] += 0.1
    assert quiet.quiet(cdr)
    quiet.heard([cdr])
    assert not quiet.quiet(cdr)
