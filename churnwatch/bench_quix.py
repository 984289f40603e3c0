"""The Quix Streams peer of `churnwatch bench` (optional: `pip install 'churnwatch[bench]'`).

One streaming dataframe over the three clock topics (concatenated), JSON values, per-customer
state (the message key is the customer) holding the same daily buckets as the other peers,
RocksDB store with its changelog topic, Quix's defaults otherwise, except a short session
timeout (the embedded broker holds group joins for about half of it). Run as
`python -m churnwatch.bench_quix` in a child process; it reports through a progress file.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from churnwatch.bench_workload import ProgressWriter, bucket_update
from topics.catalog import CLOCK_TOPICS

SESSION_TIMEOUT_MS = 6000


def quix_available() -> bool:
    """Whether the optional peer can run here (`quixstreams` and its RocksDB binding)."""
    return all(importlib.util.find_spec(m) is not None for m in ("quixstreams", "rocksdict"))


def quix_version() -> str | None:
    if not quix_available():
        return None
    return str(importlib.import_module("quixstreams").__version__)


def build_app(bootstrap: str, group: str, progress: ProgressWriter) -> tuple[Any, Any]:
    # Imported by name: the package is an optional extra, and typing it is not our business.
    quix = importlib.import_module("quixstreams")
    app = quix.Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        state_dir=tempfile.mkdtemp(prefix="churnwatch-bench-quix-"),
        consumer_extra_config={
            "session.timeout.ms": SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": 1000,
        },
        producer_extra_config={"partitioner": "murmur2_random"},
        loglevel="WARNING",
    )
    frames = [app.dataframe(app.topic(name, value_deserializer="json")) for name in CLOCK_TOPICS]
    sdf = frames[0]
    for other in frames[1:]:
        sdf = sdf.concat(other)

    def apply(event: dict[str, Any], state: Any) -> None:
        state.set("days", bucket_update(state.get("days") or {}, event))
        progress.tick()

    sdf = sdf.update(apply, stateful=True)
    return app, sdf


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m churnwatch.bench_quix")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--progress", required=True, type=Path)
    parser.add_argument("--target", required=True, type=int)
    args = parser.parse_args(argv)
    progress = ProgressWriter(args.progress, args.target)
    app, sdf = build_app(args.bootstrap, args.group, progress)
    app.run(sdf)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
