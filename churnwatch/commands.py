"""What the subcommands do: worker, simulate, replay, tail, topics create."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from config import native
from config.policy import PolicyError, load_policy
from config.settings import Settings
from topics.catalog import catalog, changelog_spec, internal_catalog


def ensure_topics(settings: Settings) -> None:
    """Create every catalog topic that does not exist yet."""
    from agents.kafka import confluent_config
    from embedded.topics import create_topics

    config = confluent_config(settings)
    bootstrap = config.pop("bootstrap.servers")
    topics = [
        *catalog(settings.partitions),
        *internal_catalog(settings.partitions),
        changelog_spec(settings.app_id, settings.partitions),
    ]
    specs = [(t.name, t.partitions, t.kafka_config()) for t in topics]
    create_topics(bootstrap, specs, client_config=config)


def run_worker(settings: Settings, loglevel: str) -> int:
    settings.require_bootstrap()
    try:
        policy = load_policy(settings.config_path)
    except PolicyError as exc:
        print(f"churnwatch worker: invalid policy: {exc}", file=sys.stderr)
        return 2
    ensure_topics(settings)
    print(f"churnwatch worker: {native_note()}", file=sys.stderr)
    from agents.app import create_app
    from agents.worker import QuietWorker

    churn = create_app(settings, policy)
    QuietWorker(churn.app, loglevel=loglevel, quiet=True).execute_from_commandline()
    return 0


def run_console(settings: Settings, port: int | None) -> int:
    """The retention desk's console on its own, from Redis: no broker needed."""
    try:
        policy = load_policy(settings.config_path)
    except PolicyError as exc:
        print(f"churnwatch console: invalid policy: {exc}", file=sys.stderr)
        return 2
    from aiohttp import web

    from agents.console import BASE, console_app

    port = port or settings.web_port + 1
    print(f"churnwatch console: http://{settings.web_host}:{port}{BASE}", file=sys.stderr)
    web.run_app(console_app(settings, policy), host=settings.web_host, port=port, print=None)
    return 0


def native_note() -> str:
    """Which build of the hot path this process runs (a third more CPU per event without)."""
    if native.use_native():
        return f"hot path compiled by mypyc ({native.BUILD})"
    return "hot path running as Python source (`make native` compiles it)"


def run_topics_create(settings: Settings) -> int:
    ensure_topics(settings)
    for spec in catalog(settings.partitions):
        print(f"{spec.name}: {spec.partitions} partitions, retention {spec.retention_ms} ms")
    return 0


def run_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from sim.export import write_jsonl
    from sim.population import SimConfig, simulate, write_truth_csv
    from sim.produce import produce

    config = SimConfig(customers=args.customers, days=args.days, seed=args.seed)
    truths, records = simulate(config)
    write_truth_csv(truths, args.truth)
    if args.out:
        count = write_jsonl(records, args.out)
        print(f"wrote {count} events to {args.out}; ground truth in {args.truth}")
        return 0
    ensure_topics(settings)
    from agents.kafka import confluent_config

    extra = confluent_config(settings)
    bootstrap = extra.pop("bootstrap.servers")
    count = produce(records, bootstrap, rate=args.rate, progress=True, extra_config=extra)
    print(f"produced {count} events; ground truth in {args.truth}")
    return 0


def replay_lines(path: Path) -> Iterator[tuple[str, bytes, bytes]]:
    """(topic, key, value) per line; stops with the line number at the first bad line."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
                topic, value = obj["topic"], obj["value"]
                key = obj.get("key") or value["customer_id"]
            except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: cannot parse replay record ({exc})") from exc
            yield topic, str(key).encode(), orjson.dumps(value)


def run_replay(settings: Settings, file: str, rate: float | None) -> int:
    from confluent_kafka import Producer

    from agents.kafka import producer_config

    try:
        total = _count_records(Path(file))
    except OSError as exc:
        print(f"churnwatch replay: cannot read {file}: {exc.strerror}", file=sys.stderr)
        return 1
    producer = Producer(producer_config(settings))
    started, sent = time.monotonic(), 0
    try:
        for topic, key, value in replay_lines(Path(file)):
            _produce(producer, topic, key, value)
            sent += 1
            _pace(started, sent, rate)
            if sent % 5000 == 0:
                _progress(sent, total)
    except ValueError as exc:
        producer.flush(30)
        print(f"\nchurnwatch replay: {exc} (after {sent} records)", file=sys.stderr)
        return 1
    producer.flush(60)
    _progress(sent, total)
    print(f"\nreplayed {sent} records from {file}", file=sys.stderr)
    return 0


def _count_records(path: Path) -> int:
    """Non-blank lines: what a complete replay sends (for the progress bar)."""
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def _progress(sent: int, total: int, width: int = 30) -> None:
    """`[#########.....................]  30% 5,000 of 16,384 records` on stderr."""
    share = min(1.0, sent / total) if total else 1.0
    bar = "#" * int(width * share)
    print(
        f"\r[{bar:.<{width}}] {share:4.0%} {sent:,} of {total:,} records", end="", file=sys.stderr
    )


def _produce(producer: Any, topic: str, key: bytes, value: bytes) -> None:
    while True:
        try:
            producer.produce(topic, key=key, value=value)
            return
        except BufferError:  # local queue full: let deliveries drain
            producer.poll(0.1)


def _pace(started: float, sent: int, rate: float | None) -> None:
    if rate:
        ahead = sent / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)


def run_tail(
    settings: Settings, topic: str, from_beginning: bool, limit: int | None, idle_s: float | None
) -> int:
    from churnwatch.tail import tail_topic

    for record in tail_topic(settings, topic, from_beginning, idle_s):
        print(orjson.dumps(record).decode(), flush=True)
        limit = None if limit is None else limit - 1
        if limit == 0:
            break
    return 0
