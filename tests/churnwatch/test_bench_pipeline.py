"""The in-process pipeline benchmark runs the quick workload through and reports each round."""

from __future__ import annotations

import gc

import pytest

from churnwatch.bench_pipeline import PARTITIONS, main, messages, run_once
from churnwatch.bench_workload import Workload


def test_messages_carry_offsets_that_end_where_the_end_offsets_say() -> None:
    batch_of, ends = messages(Workload(50, 500, 7))
    assert len(batch_of) == 500 == sum(ends.values())
    for message in batch_of:
        assert 0 <= message.partition < PARTITIONS
        assert message.offset < ends[(message.topic, message.partition)]


def test_quick_run_prints_cpu_per_event_for_each_round(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--rounds", "2"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("20000 events, CPU us per event by round: ")
    rounds = [float(x) for x in line.rsplit(": ", 1)[1].split()]
    assert len(rounds) == 2 and all(r > 0 for r in rounds)


def test_a_round_leaves_the_callers_collector_as_it_found_it() -> None:
    before = gc.get_threshold()
    batch_of, ends = messages(Workload(50, 500, 7))
    run_once(batch_of, ends)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
