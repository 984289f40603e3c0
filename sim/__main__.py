"""`python -m sim`: generate the simulated population to files and/or Kafka.

Examples: `python -m sim --events out/events.jsonl --labels out/labels.csv` (files),
`python -m sim --bootstrap localhost:9092 --rate 20000 --progress` (Kafka),
`python -m sim --stats` (count records and measure generation speed only).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import date

from sim.export import replay_line
from sim.model import ALL_PATHS, SimConfig, SimRecord
from sim.population import simulate, write_truth_csv


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    defaults = SimConfig()
    parser = argparse.ArgumentParser(prog="python -m sim", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=defaults.customers)
    parser.add_argument("--days", type=int, default=defaults.days)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--start", type=date.fromisoformat, default=defaults.start)
    parser.add_argument("--churn-share", type=float, default=defaults.churn_share)
    parser.add_argument(
        "--paths",
        default=",".join(defaults.paths),
        help=f"comma-separated churn paths out of {','.join(ALL_PATHS)}",
    )
    parser.add_argument("--events", help="write records here as replay JSONL")
    parser.add_argument("--labels", help="write ground truth here as CSV")
    parser.add_argument("--bootstrap", help="produce records to this Kafka bootstrap")
    parser.add_argument("--rate", type=float, help="events per second when producing")
    parser.add_argument("--progress", action="store_true", help="progress line on stderr")
    parser.add_argument("--stats", action="store_true", help="print count and speed to stderr")
    return parser.parse_args(argv)


def _tee_to_file(records: Iterator[SimRecord], path: str) -> Iterator[SimRecord]:
    with open(path, "wb") as handle:
        for record in records:
            handle.write(replay_line(record))
            yield record


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = SimConfig(
        customers=args.customers,
        days=args.days,
        seed=args.seed,
        start=args.start,
        churn_share=args.churn_share,
        paths=tuple(path for path in args.paths.split(",") if path),
    )
    started = time.perf_counter()
    truths, records = simulate(cfg)
    if args.labels:
        write_truth_csv(truths, args.labels)
    if args.events:
        records = _tee_to_file(records, args.events)
    if args.bootstrap:
        from sim.produce import produce  # only needs confluent-kafka when producing

        count = produce(records, args.bootstrap, rate=args.rate, progress=args.progress)
    else:
        count = sum(1 for _ in records)
    elapsed = time.perf_counter() - started
    if args.stats or not (args.events or args.bootstrap):
        churners = sum(1 for truth in truths if truth.churn_date)
        print(
            f"{count} records, {cfg.customers} customers ({churners} churn), {cfg.days} days: "
            f"{elapsed:.2f} s, {count / max(elapsed, 1e-9):,.0f} records/s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
