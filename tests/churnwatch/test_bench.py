"""`churnwatch bench`: the quick run completes and prints one valid JSON object (a smoke test:
no figure is asserted, the machine is shared), and the pieces that turn measurements into
figures work on plain values."""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from churnwatch.bench import (
    QUICK,
    BenchConfig,
    config_from_args,
    markdown_table,
    targets,
)
from churnwatch.bench_latency import histogram_quantile, quantile
from churnwatch.bench_workload import (
    ProgressWriter,
    Rate,
    Snapshot,
    Workload,
    bucket_update,
    read_progress,
)
from churnwatch.cli import build_parser

REQUIRED = (
    "events_per_s",
    "ceiling_events_per_s",
    "naive_faust_events_per_s",
    "peer_events_per_s",
    "latency_p50_ms",
    "latency_p99_ms",
    "state_bytes_per_customer",
    "scale_2_workers",
)
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(420)
def test_quick_bench_completes_and_prints_exactly_one_json_object() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "churnwatch", "bench", "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)  # the whole of stdout: one object, nothing else
    assert isinstance(result, dict)
    for key in REQUIRED:
        assert key in result, key
        assert result[key] is None or isinstance(result[key], int | float), key
    if result["peer"] is None:  # the optional extra is not installed: skipped, with a note
        assert result["peer_events_per_s"] is None
        assert any(note.startswith("peer: skipped") for note in result["notes"])
    assert result["quick"] is True
    # None when the quick run's worker was through before the first poll, as the others.
    committed = result["worker_cpu_us_per_event_committed"]
    assert committed is None or committed >= result["worker_cpu_us_per_event"]
    assert set(result["targets"]) == {
        "events_per_s",
        "ratio_to_peer",
        "latency_p99_ms",
        "state_bytes_per_customer",
        "scale_2_workers",
    }
    assert markdown_table(result).count("\n|") >= 10


def test_bench_is_a_real_subcommand_with_quick_and_json() -> None:
    args = build_parser().parse_args(["bench", "--quick", "--json", "--no-peer"])
    assert args.quick and args.json and args.no_peer
    assert args.run is not None


def test_full_config_defaults_match_the_issue() -> None:
    config = BenchConfig()
    assert (config.customers, config.events) == (10_000, 200_000)
    assert not config.quick


def test_quick_is_about_a_tenth_of_the_full_workload() -> None:
    full = config_from_args(_args())
    quick = config_from_args(_args(quick=True))
    assert (full.events, full.customers) == (200_000, 10_000)
    assert quick == QUICK
    assert quick.events * 10 == full.events and quick.customers * 10 == full.customers


def test_overrides_apply_on_top_of_the_chosen_size() -> None:
    config = config_from_args(_args(quick=True, events=5000, customers=300, no_peer=True))
    assert (config.events, config.customers, config.peer, config.quick) == (5000, 300, False, True)


def test_workload_is_the_seeded_simulation_truncated() -> None:
    first = [r.value["event_id"] for r in Workload(50, 400, 3).records()]
    again = [r.value["event_id"] for r in Workload(50, 400, 3).records()]
    assert len(first) == 400 and first == again


def test_bucket_update_adds_each_kind_to_its_day() -> None:
    days: dict[str, list[float]] = {}
    for event in (
        {"ts": "2026-01-05T08:00:00Z", "kind": "voice", "duration_s": 60},
        {"ts": "2026-01-05T09:00:00Z", "kind": "sms"},
        {"ts": "2026-01-05T10:00:00Z", "kind": "data", "bytes": 1000},
        {"ts": "2026-01-05T11:00:00Z", "kind": "invoice", "amount": 59.0},
        {"ts": "2026-01-06T00:00:00Z", "kind": "profile"},
    ):
        days = bucket_update(days, event)
    assert days == {"2026-01-05": [60.0, 1.0, 1000.0, 59.0, 0.0], "2026-01-06": [0, 0, 0, 0, 1]}


def test_bucket_update_keeps_a_bounded_number_of_days() -> None:
    days: dict[str, list[float]] = {}
    for day in range(1, 90):
        days = bucket_update(days, {"ts": f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T00"})
    assert len(days) == 56


def test_progress_round_trips_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    assert read_progress(path) == Snapshot(0, None, None)
    writer = ProgressWriter(path, target=3, every_s=3600)
    writer.tick()
    writer.tick()
    writer.tick()  # the target forces a write
    snap = read_progress(path)
    assert snap.count == 3 and snap.first is not None and snap.last is not None


def test_rates_count_the_events_after_the_first_moment() -> None:
    assert Snapshot(11, 100.0, 102.0).events_per_s == 5.0
    assert Snapshot(1, 100.0, 100.0).events_per_s is None
    rate = Rate(events=1000, measured=900, seconds=2.0, cpu_s=3.0)
    assert rate.events_per_s == 450.0 and rate.events_per_cpu_s == 300.0
    assert Rate(0, 0, 0.0).events_per_s is None


def test_nearest_rank_quantiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert quantile(values, 0.5) == 50.0
    assert quantile(values, 0.99) == 99.0
    assert quantile([7.0], 0.99) == 7.0
    assert quantile([], 0.5) is None


def test_histogram_quantile_interpolates_inside_the_bucket() -> None:
    text = "\n".join(
        [
            'lat_bucket{le="0.1"} 50.0',
            'lat_bucket{le="0.5"} 90.0',
            'lat_bucket{le="1.0"} 100.0',
            'lat_bucket{le="+Inf"} 100.0',
            "lat_count 100.0",
        ]
    )
    p50 = histogram_quantile(text, "lat", 0.5)
    p99 = histogram_quantile(text, "lat", 0.99)
    assert p50 is not None and math.isclose(p50, 100.0)
    assert p99 is not None and math.isclose(p99, 950.0)
    assert histogram_quantile("", "lat", 0.5) is None


def test_targets_are_judged_and_missing_figures_are_not() -> None:
    result = _result(events_per_s=30_000.0, ratio_to_peer=None, latency_p99_ms=700.0)
    judged = targets(result)
    assert judged["events_per_s"]["met"] is True
    assert judged["ratio_to_peer"]["met"] is None
    assert judged["latency_p99_ms"]["met"] is False
    # The larger of the two state figures is judged.
    assert judged["state_bytes_per_customer"] == {
        "value": 3000.0,
        "target": "<= 2048",
        "met": False,
    }


def test_markdown_table_renders_with_a_skipped_peer() -> None:
    result = _result(peer=None, peer_events_per_s=None, ratio_to_peer=None)
    result["targets"] = targets(result)
    table = markdown_table(result)
    assert "Quix Streams (not installed)" in table
    assert table.splitlines()[2].startswith("| measure |")
    assert all(line.count("|") == 6 for line in table.splitlines()[2:])


def test_markdown_table_says_which_build_of_the_hot_path_ran() -> None:
    compiled = _result(machine={"cpus": 2, "python": "3.11", "native": True})
    source = _result(machine={"cpus": 2, "python": "3.11", "native": False})
    for result in (compiled, source):
        result["targets"] = targets(result)
    assert "hot path compiled by mypyc" in markdown_table(compiled)
    assert "mypyc" not in markdown_table(source)


def _args(**given: Any) -> argparse.Namespace:
    defaults: dict[str, Any] = {
        "quick": False,
        "json": True,
        "customers": None,
        "events": None,
        "seed": 7,
        "no_peer": False,
        "latency_seconds": None,
    }
    return argparse.Namespace(**{**defaults, **given})


def _result(**given: Any) -> dict[str, Any]:
    """A result object as `build_result` makes it, with round figures."""
    result: dict[str, Any] = {
        "events_per_s": 20_000.0,
        "ceiling_events_per_s": 300_000.0,
        "naive_faust_events_per_s": 3_000.0,
        "peer_events_per_s": 25_000.0,
        "latency_p50_ms": 600.0,
        "latency_p99_ms": 1200.0,
        "state_bytes_per_customer": 1200.0,
        "scale_2_workers": 1.3,
        "ratio_to_ceiling": 0.067,
        "ratio_to_naive_faust": 6.67,
        "ratio_to_peer": 0.8,
        "events_per_s_2_workers": 26_000.0,
        "peer": "Quix Streams 3.28.1",
        "events_per_cpu_s": {
            "ceiling": 400_000.0,
            "naive_faust": 3_500.0,
            "peer": 30_000.0,
            "worker": 24_000.0,
            "two_workers": 23_000.0,
        },
        "cpu_ratio_to_ceiling": 0.06,
        "cpu_ratio_to_naive_faust": 6.9,
        "cpu_ratio_to_peer": 0.8,
        "two_workers_cores_used": 1.2,
        "scale_2_workers_cpu_bound": 1.75,
        "worker_cpu_us_per_event": 41.7,
        "worker_cpu_us_per_event_committed": 45.0,
        "broker_cpu_us_per_event": 6.0,
        "state_bytes_p99": 1500,
        "state_customers": 9553,
        "state_internal_bytes_per_customer": 40.0,
        "state_steady_bytes_per_customer": 3000.0,
        "state_steady_bytes_p99": 4500,
        "state_steady_sample": {"customers": 300, "days": 120},
        "worker_rss_mb": 145.0,
        "worker_rss_mb_per_100k_customers": 800.0,
        "latency": {
            "offered_events_per_s": 10_000.0,
            "probes": 440,
            "alerts_seen": 440,
            "to_alert_produced_p50_ms": 120.0,
            "to_alert_produced_p99_ms": 400.0,
            "worker_event_latency_p50_ms": 50.0,
            "worker_event_latency_p99_ms": 600.0,
        },
        "workload": {"customers": 10_000, "events": 200_000, "seed": 7},
        "quick": False,
        "seconds": 150.0,
        "machine": {"cpus": 2, "python": "3.11"},
        "notes": [],
    }
    result.update(given)
    return result
