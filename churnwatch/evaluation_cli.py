"""The `churnwatch evaluate` and `churnwatch fit` subcommands: arguments and output.

Only argparse at import time (so `churnwatch --help` stays instant); the replay machinery is
imported when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from config.settings import Settings

_EVENTS = "events in the replay format (one {topic, key, value} JSON object per line)"
_LABELS = "CSV with header customer_id,churn_date (empty date = did not churn)"
_AT = (
    "score as of this moment: YYYY-MM-DD (local midnight) or RFC 3339 (default: the latest "
    "event time); later events are ignored"
)
_POLICY = "policy file to use (default: CHURNWATCH_CONFIG, else the built-in defaults)"


def add_evaluate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "evaluate",
        help="detection quality on labelled history: AUC, lift, precision, alerts, lead time",
        description="Replay the events through the stream logic offline (the same engines as the "
        "worker, in file order, no broker), score every labelled customer as of --at and "
        "report AUC, top-decile lift, precision and recall per alert level (positives churn "
        "within --horizon-days), alerts per 1,000 customers per day over the replay and the "
        "lead time from first alert to churn. See docs/evaluation.md.",
    )
    p.add_argument("--events", required=True, metavar="FILE", help=_EVENTS)
    p.add_argument("--labels", required=True, metavar="FILE", help=_LABELS)
    p.add_argument("--at", default=None, metavar="TIME", help=_AT)
    p.add_argument("--horizon-days", type=int, default=30, help="default 30")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    p.add_argument(
        "--report", default=None, metavar="DIR", help="write a markdown report with plots here"
    )
    p.add_argument("--policy", default=None, metavar="FILE", help=_POLICY)
    p.set_defaults(run=run_evaluate)


def add_fit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "fit",
        help="learn scorecard weights from labelled history; write a policy file",
        description="Replay the events offline, take every labelled customer at weekly snapshots "
        "ending at --at with every signal and feature of the catalogue, learn the scorecard's "
        "weights by regularised logistic regression (churn within --horizon-days), print the "
        "cross-validated AUC and write a complete policy file for CHURNWATCH_CONFIG with a new "
        "model id. See docs/evaluation.md.",
    )
    p.add_argument("--events", required=True, metavar="FILE", help=_EVENTS)
    p.add_argument("--labels", required=True, metavar="FILE", help=_LABELS)
    p.add_argument("--out", required=True, metavar="POLICY", help="policy file to write")
    p.add_argument("--at", default=None, metavar="TIME", help=_AT.replace("score", "last snapshot"))
    p.add_argument("--horizon-days", type=int, default=30, help="default 30")
    p.add_argument("--snapshots", type=int, default=4, help="weekly snapshots (default 4)")
    p.add_argument("--every-days", type=int, default=7, help="days between snapshots (7)")
    p.add_argument("--l1", type=float, default=1.0, help="L1 penalty (default 1)")
    p.add_argument("--l2", type=float, default=1.0, help="L2 penalty (default 1)")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--policy", default=None, metavar="FILE", help=_POLICY + "; also the prior")
    p.set_defaults(run=run_fit)


def _fail(command: str, message: str) -> int:
    print(f"churnwatch {command}: {message}", file=sys.stderr)
    return 2


def _check_numbers(args: argparse.Namespace) -> str | None:
    if args.horizon_days < 1:
        return "--horizon-days must be at least 1"
    for name in ("snapshots", "every_days", "folds"):
        if getattr(args, name, 1) < 1:
            return f"--{name.replace('_', '-')} must be at least 1"
    if getattr(args, "folds", 2) < 2:
        return "--folds must be at least 2"
    if getattr(args, "l1", 0.0) < 0 or getattr(args, "l2", 0.0) < 0:
        return "--l1 and --l2 must not be negative"
    return None


def run_evaluate(args: argparse.Namespace) -> int:
    from churnwatch.evaluate import evaluate_history, text_summary
    from churnwatch.evaluation_data import HistoryError, parse_moment, read_labels
    from churnwatch.evaluation_report import write_report
    from config.policy import PolicyError, load_policy
    from streams.calendar import Calendar

    problem = _check_numbers(args)
    if problem:
        return _fail("evaluate", problem)
    settings = Settings.from_env()
    cal = Calendar(settings.timezone)
    try:
        policy = load_policy(args.policy or settings.config_path)
        labels = read_labels(args.labels)
        at = parse_moment(args.at, cal) if args.at else None
        result = evaluate_history(
            args.events, labels, policy, cal, at, args.horizon_days, settings.partitions
        )
    except (HistoryError, PolicyError) as exc:
        return _fail("evaluate", str(exc))
    if args.report:
        note = write_report(result, Path(args.report))
        print(f"churnwatch evaluate: report in {note}", file=sys.stderr)
    if args.json:
        print(orjson.dumps(result.summary()).decode())
    else:
        print(text_summary(result))
    return 0


def run_fit(args: argparse.Namespace) -> int:
    from churnwatch.evaluation_data import (
        HistoryError,
        latest_event_time,
        parse_moment,
        read_labels,
    )
    from churnwatch.fit import Penalty, fit_history, fit_summary, policy_document
    from config.policy import PolicyError, load_policy
    from streams.calendar import Calendar

    problem = _check_numbers(args)
    if problem:
        return _fail("fit", problem)
    settings = Settings.from_env()
    cal = Calendar(settings.timezone)
    try:
        base = load_policy(args.policy or settings.config_path)
        labels = read_labels(args.labels)
        at = parse_moment(args.at, cal) if args.at else latest_event_time(args.events)
        result = fit_history(
            args.events, labels, base, cal, at, args.horizon_days, args.snapshots,
            args.every_days, Penalty(args.l1, args.l2), args.folds, settings.partitions,
        )  # fmt: skip
        Path(args.out).write_bytes(policy_document(result.policy))
    except (HistoryError, PolicyError, ValueError) as exc:
        return _fail("fit", str(exc))
    except OSError as exc:
        return _fail("fit", f"cannot write {args.out}: {exc.strerror}")
    print(fit_summary(result, cal))
    print(f"policy written to {args.out}: use it with CHURNWATCH_CONFIG={args.out}")
    return 0
