"""The in-framework baseline of `churnwatch bench`: a naive Faust table agent.

One agent over the three clock topics, one table write per event (the same daily-bucket update
as the other peers: `table[customer] = bucket_update(table[customer], event)`), in-memory
store, Faust's defaults otherwise, except a short session timeout (the embedded broker holds
group joins for about half of it). Run as `python -m churnwatch.bench_faust` in a child process,
so its event loop and memory are its own; it reports through a progress file.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from churnwatch.bench_workload import ProgressWriter, bucket_update
from topics.catalog import CLOCK_TOPICS

SESSION_TIMEOUT_S = 6.0


def build_app(bootstrap: str, app_id: str, progress: ProgressWriter, partitions: int) -> Any:
    import faust

    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        topic_partitions=partitions,
        autodiscover=False,
        web_enabled=False,
        datadir=tempfile.mkdtemp(prefix="churnwatch-bench-faust-"),
        broker_session_timeout=SESSION_TIMEOUT_S,
        broker_heartbeat_interval=1.0,
    )
    topic = app.topic(*CLOCK_TOPICS, value_type=bytes, value_serializer="raw")
    table = app.Table("buckets", default=dict, partitions=partitions)

    @app.agent(topic)
    async def buckets(stream: Any) -> None:
        async for value in stream:
            event = orjson.loads(value)
            customer = event["customer_id"]
            table[customer] = bucket_update(table[customer], event)
            progress.tick()

    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m churnwatch.bench_faust")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--progress", required=True, type=Path)
    parser.add_argument("--target", required=True, type=int)
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args(argv)
    progress = ProgressWriter(args.progress, args.target)
    app = build_app(args.bootstrap, args.app_id, progress, args.partitions)
    from agents.worker import QuietWorker

    QuietWorker(app, loglevel="warning", quiet=True).execute_from_commandline()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
