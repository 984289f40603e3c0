"""`churnwatch bench`: throughput, latency, state size and scaling, measured in one run on one
machine against the raw ceiling and two framework peers.

One embedded broker holds the seeded workload (simulator traffic, produced once); each
contender reads all of it from the beginning in its own consumer group:

1. the raw ceiling: aiokafka consume + `orjson.loads` (`bench_ceiling`);
2. a naive Faust table agent, one table write per event (`bench_faust`, child process,
   capped by a time budget: it is slow);
3. the Quix Streams peer with per-customer state (`bench_quix`, child process; optional
   extra `bench`, skipped with a note when absent);
4. churnwatch's own worker, one process, then two in one group (`bench_worker`), timed from
   their own metrics, with the state they wrote (their changelog) and their memory.

Then, on a fresh broker, a worker fed at half the one-worker maximum gives the event-to-alert
latency (`bench_latency`), and the offline engine gives the state size once every horizon is
full (`bench_state`). Ratios are what to compare across machines; absolute figures depend on
the machine, and on what else runs on it (the broker shares the cores).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from churnwatch.bench_latency import LatencyResult, quantile
from churnwatch.bench_state import StateSizes
from churnwatch.bench_worker import ChangelogSizes, WorkerRun
from churnwatch.bench_workload import (
    ContenderProcess,
    ContenderRun,
    Produced,
    Rate,
    Workload,
    cpu_seconds,
    produce_workload,
    run_contender,
)
from config import native

# Targets from the benchmark issue: reported, never asserted.
TARGET_EVENTS_PER_S = 25_000
TARGET_RATIO_TO_PEER = 1.0
TARGET_P99_MS = 500
TARGET_STATE_BYTES = 2048
TARGET_SCALE_2 = 1.7
FALLBACK_RATE = 10_000.0  # offered rate x 2 when the one-worker run measured nothing

# The worker's environment: the bench's own, whatever the caller's shell says.
WORKER_ENV = {
    "CHURNWATCH_PARTITIONS": "8",
    "CHURNWATCH_TIMEZONE": "UTC",
    "CHURNWATCH_CONFIG": "",
    "CHURNWATCH_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
}

Say = Callable[[str], None]
QUICK_NOTE = (
    "quick run: each contender reads about a second of events, so start-up transients weigh "
    "on every rate: a smoke run, not a measurement"
)


@dataclass(frozen=True)
class BenchConfig:
    customers: int = 10_000
    events: int = 200_000
    seed: int = 7
    quick: bool = False
    peer: bool = True
    faust_budget_s: float = 20.0  # of processing, after its first event
    quix_budget_s: float = 60.0
    start_timeout_s: float = 90.0  # a contender's start-up, group join included
    worker_timeout_s: float = 300.0
    latency_s: float = 30.0
    latency_warmup_s: float = 5.0
    probes_per_s: float = 20.0
    steady_customers: int = 300
    repeat: int = 2  # throughput runs per contender, interleaved; the best one counts

    @property
    def workload(self) -> Workload:
        return Workload(self.customers, self.events, self.seed)


QUICK = BenchConfig(
    customers=1_000,
    events=20_000,
    quick=True,
    faust_budget_s=4.0,
    quix_budget_s=20.0,
    start_timeout_s=60.0,
    worker_timeout_s=60.0,
    latency_s=9.0,
    latency_warmup_s=2.0,
    steady_customers=40,
    repeat=1,
)


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    base = QUICK if args.quick else BenchConfig()
    changes: dict[str, Any] = {"seed": args.seed, "peer": not args.no_peer}
    if args.customers is not None:
        changes["customers"] = args.customers
    if args.events is not None:
        changes["events"] = args.events
    if args.latency_seconds is not None:
        changes["latency_s"] = args.latency_seconds
        changes["latency_warmup_s"] = min(base.latency_warmup_s, args.latency_seconds / 4)
    return replace(base, **changes)


def run_bench_command(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    say = _stderr_say if args.json else _stdout_say
    try:
        result = run_bench(config, say)
    except Exception as exc:  # one JSON object even when the run breaks
        traceback.print_exc(file=sys.stderr)
        if args.json:
            print(orjson.dumps({"error": f"{type(exc).__name__}: {exc}"}).decode())
        else:
            print(f"churnwatch bench: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    else:
        print()
        print(markdown_table(result))
        for note in result["notes"]:
            print(f"- {note}")
    return 0


def _stderr_say(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def _stdout_say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


# --- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    """What the contenders did on the broker holding the workload."""

    produced: Produced
    ceiling: Rate
    ceiling_broker_cpu_s: float
    faust: ContenderRun
    peer: tuple[str, ContenderRun] | str  # (name, run), or why it was skipped
    one: WorkerRun
    one_broker_cpu_s: float
    state: ChangelogSizes
    two: WorkerRun


@dataclass(frozen=True)
class Measured:
    """Everything one run measured, before it is summarised."""

    throughput: Throughput
    latency: LatencyResult
    steady: StateSizes
    seconds: float


def run_bench(config: BenchConfig, say: Say) -> dict[str, Any]:
    from churnwatch.bench_state import steady_state_sizes
    from embedded.services import EmbeddedRedis

    started = time.monotonic()
    with EmbeddedRedis() as redis_server, tempfile.TemporaryDirectory() as tmp:
        part = _throughput(config, redis_server.url, Path(tmp), say)
        latency = _latency(config, redis_server.url, part.one.rate.events_per_s, say)
    say(f"steady-state size: offline engine, {config.steady_customers} customers")
    steady = steady_state_sizes(config.steady_customers, config.seed)
    measured = Measured(part, latency, steady, time.monotonic() - started)
    return build_result(config, measured)


def _throughput(config: BenchConfig, redis_url: str, tmp: Path, say: Say) -> Throughput:
    """Every throughput contender on one broker holding the workload; each measured
    `config.repeat` times, interleaved, keeping its best run (the machine is shared)."""
    from churnwatch.bench_ceiling import measure_ceiling
    from churnwatch.bench_worker import changelog_sizes, run_workers
    from churnwatch.commands import ensure_topics
    from config.settings import Settings
    from embedded.services import EmbeddedBroker
    from topics.catalog import changelog_topic

    with EmbeddedBroker() as broker:
        bootstrap = broker.bootstrap
        ensure_topics(Settings(kafka_bootstrap=bootstrap))
        say(f"producing {config.events:,} events for {config.customers:,} customers")
        produced = _produce(config.workload, bootstrap)
        events = produced.events
        say("raw ceiling: aiokafka consume + orjson decode")
        cpu0 = cpu_seconds(broker.pid)
        ceilings = [measure_ceiling(bootstrap, events) for _ in range(config.repeat)]
        ceiling_broker_cpu = (cpu_seconds(broker.pid) - cpu0) / config.repeat
        say(f"naive Faust table agent (at most {config.faust_budget_s:g} s of processing)")
        faust = _naive_faust(config, bootstrap, events, tmp)
        peer = _peer(config, bootstrap, events, tmp, say)
        ones: list[WorkerRun] = []
        twos: list[WorkerRun] = []
        one_broker_cpu = 0.0
        for round_ in range(1, config.repeat + 1):
            say(f"churnwatch worker, one process (round {round_} of {config.repeat})")
            cpu0 = cpu_seconds(broker.pid)
            ones.append(run_workers(
                bootstrap, redis_url, f"bench-one-{round_}", 1, events,
                config.worker_timeout_s, WORKER_ENV,
            ))  # fmt: skip
            one_broker_cpu = one_broker_cpu or cpu_seconds(broker.pid) - cpu0
            say(f"churnwatch worker, two processes in one group (round {round_})")
            twos.append(run_workers(
                bootstrap, redis_url, f"bench-two-{round_}", 2, events,
                config.worker_timeout_s, WORKER_ENV,
            ))  # fmt: skip
        state = changelog_sizes(bootstrap, changelog_topic("bench-one-1"))
    return Throughput(
        produced=produced,
        ceiling=max(ceilings, key=lambda r: r.events_per_s or 0.0),
        ceiling_broker_cpu_s=ceiling_broker_cpu,
        faust=faust,
        peer=peer,
        one=max(ones, key=lambda r: r.rate.events_per_s or 0.0),
        one_broker_cpu_s=one_broker_cpu,
        state=state,
        two=max(twos, key=lambda r: r.rate.events_per_s or 0.0),
    )


def _produce(workload: Workload, bootstrap: str) -> Produced:
    produced = produce_workload(workload, bootstrap)
    if produced.events < workload.events:
        raise RuntimeError(f"only {produced.events} of {workload.events} events were produced")
    return produced


def _naive_faust(config: BenchConfig, bootstrap: str, expected: int, tmp: Path) -> ContenderRun:
    progress = tmp / "faust-progress.json"
    args = ["--bootstrap", bootstrap, "--app-id", "bench-naive-faust"]
    args += ["--progress", str(progress), "--target", str(expected)]
    proc = ContenderProcess("churnwatch.bench_faust", args)
    return run_contender(proc, progress, expected, config.faust_budget_s, config.start_timeout_s)


def _peer(
    config: BenchConfig, bootstrap: str, expected: int, tmp: Path, say: Say
) -> tuple[str, ContenderRun] | str:
    """(peer name, its best run), or why it was skipped."""
    from churnwatch.bench_quix import quix_available, quix_version

    if not config.peer:
        return "skipped (--no-peer)"
    if not quix_available():
        return "skipped: quixstreams is not installed (pip install 'churnwatch[bench]')"
    name = f"Quix Streams {quix_version()}"
    runs = []
    for round_ in range(1, config.repeat + 1):
        say(f"{name} with per-customer state (round {round_} of {config.repeat})")
        progress = tmp / f"quix-progress-{round_}.json"
        args = ["--bootstrap", bootstrap, "--group", f"bench-quix-{round_}"]
        args += ["--progress", str(progress), "--target", str(expected)]
        proc = ContenderProcess("churnwatch.bench_quix", args)
        budget, start_timeout = config.quix_budget_s, config.start_timeout_s
        runs.append(run_contender(proc, progress, expected, budget, start_timeout))
    return name, max(runs, key=lambda r: r.events_per_s or 0.0)


def _latency(
    config: BenchConfig, redis_url: str, max_rate: float | None, say: Say
) -> LatencyResult:
    from churnwatch.bench_latency import measure_latency

    rate = (max_rate or FALLBACK_RATE) / 2
    say(f"event-to-alert latency at {rate:,.0f} events/s for {config.latency_s:g} s (fresh broker)")
    return measure_latency(
        config.workload, redis_url, rate, config.latency_s, config.latency_warmup_s,
        config.probes_per_s, WORKER_ENV,
    )  # fmt: skip


# --- the result ------------------------------------------------------------------------------


def build_result(config: BenchConfig, m: Measured) -> dict[str, Any]:
    """The one JSON object `--json` prints: the headline figures at the top level."""
    t = m.throughput
    notes = _notes(config, m)
    peer_name, peer = (None, None) if isinstance(t.peer, str) else t.peer
    rate, rate_two = t.one.rate.events_per_s, t.two.rate.events_per_s
    ceiling, naive = t.ceiling.events_per_s, t.faust.events_per_s
    peer_rate = peer.events_per_s if peer else None
    cpu = {
        "ceiling": t.ceiling.events_per_cpu_s,
        "naive_faust": t.faust.events_per_cpu_s,
        "peer": peer.events_per_cpu_s if peer else None,
        "worker": t.one.rate.events_per_cpu_s,
        "two_workers": t.two.rate.events_per_cpu_s,
    }
    events = t.produced.events
    result: dict[str, Any] = {
        "events_per_s": _round(rate),
        "ceiling_events_per_s": _round(ceiling),
        "naive_faust_events_per_s": _round(naive),
        "peer_events_per_s": _round(peer_rate),
        "latency_p50_ms": _round(m.latency.quantile_ms(0.5), 1),
        "latency_p99_ms": _round(m.latency.quantile_ms(0.99), 1),
        "state_bytes_per_customer": _round(_mean(t.state.customers)),
        "scale_2_workers": _round(_ratio(rate_two, rate), 2),
        "ratio_to_ceiling": _round(_ratio(rate, ceiling), 3),
        "ratio_to_naive_faust": _round(_ratio(rate, naive), 2),
        "ratio_to_peer": _round(_ratio(rate, peer_rate), 2),
        "events_per_s_2_workers": _round(rate_two),
        "peer": peer_name,
        "naive_faust_events_measured": t.faust.snapshot.count,
        "events_per_cpu_s": {k: _round(v) for k, v in cpu.items()},
        "cpu_ratio_to_ceiling": _round(_ratio(cpu["worker"], cpu["ceiling"]), 3),
        "cpu_ratio_to_naive_faust": _round(_ratio(cpu["worker"], cpu["naive_faust"]), 2),
        "cpu_ratio_to_peer": _round(_ratio(cpu["worker"], cpu["peer"]), 2),
        "two_workers_cores_used": _round(_ratio(t.two.rate.cpu_s, t.two.rate.seconds), 2),
        "scale_2_workers_cpu_bound": _round(_scale_bound(t), 2),
        "worker_cpu_us_per_event": _round(_ratio(1e6, cpu["worker"]), 1),
        # The same, on until every state change is on the changelog (see bench_worker).
        "worker_cpu_us_per_event_committed": _round(
            _ratio(t.one.cpu_committed_s, t.one.rate.measured / 1e6), 1
        ),
        "broker_cpu_us_per_event": _round(t.one_broker_cpu_s / events * 1e6, 1),
        "ceiling_broker_cpu_us_per_event": _round(t.ceiling_broker_cpu_s / events * 1e6, 1),
        "state_bytes_p99": quantile(t.state.customers, 0.99),
        "state_customers": len(t.state.customers),
        "state_internal_bytes_per_customer": _round(
            _ratio(t.state.internal_bytes, len(t.state.customers)), 1
        ),
        "state_steady_bytes_per_customer": _round(_mean(m.steady.sizes)),
        "state_steady_bytes_p99": quantile(m.steady.sizes, 0.99),
        "state_steady_sample": {"customers": m.steady.customers, "days": m.steady.days},
        **_memory(t.one),
        "latency": _latency_figures(m.latency),
        "workload": {
            "customers": config.customers,
            "events": events,
            "seed": config.seed,
            "by_topic": t.produced.by_topic,
            "produce_s": round(t.produced.seconds, 1),
        },
        "rebalances": {"one_worker": t.one.rebalances, "two_workers": t.two.rebalances},
        "quick": config.quick,
        "seconds": round(m.seconds, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "native": native.use_native(),  # the hot path compiled (config.native)
        },
        "notes": notes,
    }
    result["targets"] = targets(result)
    return result


def _notes(config: BenchConfig, m: Measured) -> list[str]:
    t = m.throughput
    notes = []
    if t.faust.note:
        notes.append(f"naive Faust: {t.faust.note} ({t.faust.snapshot.count:,} events measured)")
    if isinstance(t.peer, str):
        notes.append(f"peer: {t.peer}")
    elif t.peer[1].note:
        notes.append(f"{t.peer[0]}: {t.peer[1].note}")
    for label, run in (("one worker", t.one), ("two workers", t.two)):
        if run.note:
            notes.append(f"{label}: {run.note}")
        if run.deadletters:
            notes.append(f"{label}: {run.deadletters:.0f} events dead-lettered")
    if t.two.rebalances > t.two.workers:
        notes.append(
            f"two workers: {t.two.rebalances:.0f} rebalances (a worker joined late; the rate "
            "includes the rebalance)"
        )
    if m.latency.note:
        notes.append(f"latency: {m.latency.note}")
    bound = _scale_bound(t)
    if bound is not None and bound < TARGET_SCALE_2:
        notes.append(
            f"two workers: on {os.cpu_count()} cores shared with the broker, the CPU per event "
            f"measured allows at most {bound:.2f}x one worker"
        )
    if config.repeat > 1:
        notes.append(
            f"throughput: the best of {config.repeat} runs of the ceiling, the peer and the "
            "workers (one and two workers interleaved); the naive Faust agent ran once"
        )
    if config.quick:
        notes.append(QUICK_NOTE)
    if not native.use_native():
        notes.append("the hot path ran as Python source: `make native` compiles it")
    return notes


def _scale_bound(t: Throughput) -> float | None:
    """The most two workers can gain over one on this machine's cores: both workers and the
    broker must fit their CPU per event into them (one worker alone is bound by one core)."""
    cpu_rate = t.one.rate.events_per_cpu_s
    cores = os.cpu_count() or 1
    if not cpu_rate or t.produced.events <= 0:
        return None
    worker_s = 1 / cpu_rate
    broker_s = t.one_broker_cpu_s / t.produced.events
    two_max = min(cores / (worker_s + broker_s), 2 / worker_s)
    one_max = min(1 / worker_s, cores / (worker_s + broker_s))
    return two_max / one_max


def _memory(one: WorkerRun) -> dict[str, float | None]:
    """Worker RSS at the end, and what the customers added (end minus ready) per 100k."""
    usage = one.usage[0] if one.usage else None
    if usage is None:
        return {"worker_rss_mb": None, "worker_rss_mb_per_100k_customers": None}
    added = (usage.rss_end - usage.rss_ready) / 2**20
    per_100k = added * 100_000 / one.customers if one.customers else None
    return {
        "worker_rss_mb": _round(usage.rss_end / 2**20, 1),
        "worker_rss_mb_per_100k_customers": _round(per_100k, 1),
    }


def _latency_figures(latency: LatencyResult) -> dict[str, Any]:
    p50, p99 = latency.worker_hist_ms
    return {
        "offered_events_per_s": _round(latency.offered_per_s),
        "achieved_events_per_s": _round(latency.achieved_per_s),
        "seconds": round(latency.seconds, 1),
        "probes": latency.probes,
        "alerts_seen": len(latency.samples_ms),
        "missing": latency.missing,
        "max_ms": _round(latency.samples_ms[-1] if latency.samples_ms else None, 1),
        "to_alert_produced_p50_ms": _round(quantile(latency.produced_ms, 0.5), 1),
        "to_alert_produced_p99_ms": _round(quantile(latency.produced_ms, 0.99), 1),
        "worker_event_latency_p50_ms": _round(p50, 1),
        "worker_event_latency_p99_ms": _round(p99, 1),
    }


def targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target of the issue with the measured value and whether it was met (None when
    the figure is missing). State is judged on the larger of the bench workload's and the
    steady state's mean."""
    states = [result["state_bytes_per_customer"], result["state_steady_bytes_per_customer"]]
    state = max((v for v in states if v is not None), default=None)
    rows = {
        "events_per_s": (result["events_per_s"], ">=", TARGET_EVENTS_PER_S),
        "ratio_to_peer": (result["ratio_to_peer"], ">=", TARGET_RATIO_TO_PEER),
        "latency_p99_ms": (result["latency_p99_ms"], "<=", TARGET_P99_MS),
        "state_bytes_per_customer": (state, "<=", TARGET_STATE_BYTES),
        "scale_2_workers": (result["scale_2_workers"], ">=", TARGET_SCALE_2),
    }
    out: dict[str, dict[str, Any]] = {}
    for name, (value, op, target) in rows.items():
        met = None if value is None else (value >= target if op == ">=" else value <= target)
        out[name] = {"value": value, "target": f"{op} {target:g}", "met": met}
    return out


def markdown_table(r: dict[str, Any]) -> str:
    """The README's performance table: wall-clock rates, rates per CPU-second (steadier on a
    shared machine), the comparison and the target."""
    t, lat, cpu, w = r["targets"], r["latency"], r["events_per_cpu_s"], r["workload"]
    peer = r["peer"] or "Quix Streams (not installed)"
    vs = "churnwatch ="
    rows = [
        ("raw ceiling: aiokafka consume + orjson decode", _eps(r["ceiling_events_per_s"]),
         _num(cpu["ceiling"]),
         f"{vs} {_x(r['ratio_to_ceiling'], 3)} ({_x(r['cpu_ratio_to_ceiling'], 3)} per CPU-s)",
         "—"),
        ("naive Faust table agent (a table write per event)",
         _eps(r["naive_faust_events_per_s"]), _num(cpu["naive_faust"]),
         f"{vs} {_x(r['ratio_to_naive_faust'])} ({_x(r['cpu_ratio_to_naive_faust'])})", "—"),
        (f"{peer}, per-customer state", _eps(r["peer_events_per_s"]), _num(cpu["peer"]),
         f"{vs} {_x(r['ratio_to_peer'], 2)} ({_x(r['cpu_ratio_to_peer'], 2)})",
         _target(t["ratio_to_peer"], "≥ 1.0×")),
        ("**churnwatch worker, 1 process** (first event to the last batch's outputs published)",
         f"**{_eps(r['events_per_s'])}**", _num(cpu["worker"]),
         f"{_num(r['worker_cpu_us_per_event'], 1)} µs CPU per event "
         f"(+ {_num(r['broker_cpu_us_per_event'], 1)} µs in the broker)",
         _target(t["events_per_s"], "≥ 25,000/s")),
        ("… on until every state change is committed to the changelog", "—",
         _num(_ratio(1e6, r["worker_cpu_us_per_event_committed"])),
         f"{_num(r['worker_cpu_us_per_event_committed'], 1)} µs CPU per event", "—"),
        ("churnwatch, 2 worker processes, one group", _eps(r["events_per_s_2_workers"]),
         _num(cpu["two_workers"]),
         f"{_x(r['scale_2_workers'], 2)} one worker, on {_num(r['two_workers_cores_used'], 2)} "
         f"cores (CPU bound here: {_x(r['scale_2_workers_cpu_bound'], 2)})",
         _target(t["scale_2_workers"], "≥ 1.7×")),
        (f"event-to-alert at {_eps(lat['offered_events_per_s'])} (half the maximum), "
         "probe produced to alert consumed",
         f"p50 {_ms(r['latency_p50_ms'])}, p99 {_ms(r['latency_p99_ms'])}", "—",
         f"{lat['alerts_seen']} of {lat['probes']} probes alerted",
         _target(t["latency_p99_ms"], "p99 ≤ 500 ms")),
        ("… probe produced to alert produced (the alert record's CreateTime)",
         f"p50 {_ms(lat['to_alert_produced_p50_ms'])}, "
         f"p99 {_ms(lat['to_alert_produced_p99_ms'])}", "—", "without the reader's fetch", "—"),
        ("worker event latency (broker timestamp to outputs published)",
         f"p50 {_ms(lat['worker_event_latency_p50_ms'])}, "
         f"p99 {_ms(lat['worker_event_latency_p99_ms'])}", "—", "the worker's histogram", "—"),
        (f"state per customer after the bench workload ({r['state_customers']:,} customers)",
         f"mean {_bytes(r['state_bytes_per_customer'])}, p99 {_bytes(r['state_bytes_p99'])}",
         "—", f"changelog, latest value per key (+ {_num(r['state_internal_bytes_per_customer'])} B"
         " per customer of clocks and directory)", "—"),
        (f"state per customer after {r['state_steady_sample']['days']} days of history",
         f"mean {_bytes(r['state_steady_bytes_per_customer'])}, "
         f"p99 {_bytes(r['state_steady_bytes_p99'])}", "—",
         f"offline engine, {r['state_steady_sample']['customers']} customers",
         _target(t["state_bytes_per_customer"], "≤ 2 KB")),
        ("worker memory (RSS at the end)", f"{_num(r['worker_rss_mb'], 1)} MB", "—",
         f"{_num(r['worker_rss_mb_per_100k_customers'], 1)} MB per 100k customers", "—"),
    ]  # fmt: skip
    head = (
        f"Workload: {w['events']:,} simulated events (CDR, billing, CRM), {w['customers']:,} "
        f"customers, seed {w['seed']}; {r['machine']['cpus']} CPUs shared by the broker, the "
        f"contenders and the bench; Python {r['machine']['python']}"
        f"{', hot path compiled by mypyc' if r['machine'].get('native') else ''}; "
        f"{'quick' if r['quick'] else 'full'} run, {r['seconds']:.0f} s."
    )
    lines = [
        head,
        "",
        "| measure | events/s | events per CPU-second | compared | target |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    return "\n".join(lines)


# --- formatting helpers ------------------------------------------------------------------------


def _round(value: float | None, digits: int = 0) -> float | None:
    if value is None:
        return None
    return round(value, digits) if digits else float(round(value))


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _eps(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _x(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}×"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def _bytes(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} B"


def _num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _target(row: dict[str, Any], text: str) -> str:
    mark = {True: "met", False: "**missed**", None: "not measured"}[row["met"]]
    return f"{text}: {mark}"
