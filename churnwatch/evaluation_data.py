"""Labelled history for `churnwatch evaluate` and `churnwatch fit`: the labels file, the moment
to score at, and a replay of the events file through the same offline engines as the oracle
(`streams.offline.OfflineRunner`) that stops at chosen moments to look at every customer.

The events file is read in its own order — the order `churnwatch replay` would produce it in,
and the order a live worker would read it — so the alerts of the replay are the worker's.
Files written by the simulator or exported from the topics are in event-time order.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from config.policy import Policy
from streams.calendar import Calendar
from streams.offline import OfflineRunner, ReplayRecord, read_replay_file
from streams.population import Population
from streams.state import CustomerState

LABEL_COLUMNS = ("customer_id", "churn_date")


class HistoryError(ValueError):
    """The events or labels cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class TimedRecord:
    """A replay record with its event time (None when the value has no valid `ts`: the engine
    rejects it as the worker would)."""

    ts: int | None
    record: ReplayRecord


def read_labels(path: str | Path) -> dict[str, date | None]:
    """`customer_id,churn_date` (more columns allowed): churn date, or None for a customer who
    did not churn. Stops at the first bad row, naming its line."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return _labels(csv.DictReader(handle), str(path))
    except OSError as exc:
        raise HistoryError(f"cannot read labels {path}: {exc.strerror}") from exc


def _labels(reader: csv.DictReader[str], where: str) -> dict[str, date | None]:
    missing = [c for c in LABEL_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise HistoryError(f"{where}: header must name {', '.join(LABEL_COLUMNS)}")
    labels: dict[str, date | None] = {}
    for row in reader:
        line = reader.line_num
        customer = (row.get("customer_id") or "").strip()
        text = (row.get("churn_date") or "").strip()
        if not customer:
            raise HistoryError(f"{where}:{line}: empty customer_id")
        if customer in labels:
            raise HistoryError(f"{where}:{line}: customer {customer} is labelled twice")
        try:
            labels[customer] = date.fromisoformat(text) if text else None
        except ValueError as exc:
            raise HistoryError(f"{where}:{line}: churn_date {text!r} is not YYYY-MM-DD") from exc
    return labels


def parse_moment(text: str, cal: Calendar) -> int:
    """`--at`: a date (`2026-04-20`, local midnight in the operator's time zone) or an RFC 3339
    time (`2026-04-20T08:00:00+08:00`; without an offset, the operator's local time)."""
    try:
        if len(text) == 10:
            return cal.day_start(cal.day_of_date(date.fromisoformat(text)))
        moment = datetime.fromisoformat(text.upper())
    except ValueError as exc:
        raise HistoryError(f"--at {text!r} is neither YYYY-MM-DD nor an RFC 3339 time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=cal.tz)
    return int(moment.timestamp())


def event_time(value: bytes) -> int | None:
    """The `ts` of a record's value in epoch seconds, or None when it has none that parses."""
    try:
        obj: Any = orjson.loads(value)
        moment = datetime.fromisoformat(str(obj["ts"]).upper())
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    return int(moment.timestamp()) if moment.tzinfo is not None else None


def timed_records(path: str | Path) -> Iterator[TimedRecord]:
    """The events file's records with their event times, in file order. Stops at the first
    line that is not a replay record, naming it."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the generator is done
    except OSError as exc:
        raise HistoryError(f"cannot read events {path}: {exc.strerror}") from exc
    with handle:
        try:
            for record in read_replay_file(handle):
                yield TimedRecord(event_time(record.value), record)
        except ValueError as exc:
            raise HistoryError(f"{path}: {exc}") from exc


def latest_event_time(path: str | Path) -> int:
    """The latest event time in the file (the default `--at`)."""
    latest = max((t.ts for t in timed_records(path) if t.ts is not None), default=None)
    if latest is None:
        raise HistoryError(f"{path}: no event with a valid ts")
    return latest


Look = Callable[[int, OfflineRunner], None]


@dataclass(slots=True)
class ReplayStats:
    fed: int = 0
    ignored: int = 0  # events after the last moment (`--at`): never fed
    out_of_order: int = 0  # events earlier than one fed before them (fed all the same)


def replay_with_snapshots(
    records: Iterator[TimedRecord], runner: OfflineRunner, moments: Sequence[int], look: Look
) -> ReplayStats:
    """Feed `records` to `runner` in file order, up to the last of `moments` (ascending), and
    call `look(moment, runner)` once every event up to each moment has been fed — before the
    first event after it. Events after the last moment are ignored."""
    stats = ReplayStats()
    pending = sorted(moments)
    until = pending[-1] if pending else None
    latest: int | None = None
    for timed in records:
        ts = timed.ts
        if ts is not None:
            if until is not None and ts > until:
                stats.ignored += 1
                continue
            while pending and ts > pending[0]:
                look(pending.pop(0), runner)
            if latest is not None and ts < latest:
                stats.out_of_order += 1
            latest = ts if latest is None else max(latest, ts)
        runner.feed(timed.record)
        stats.fed += 1
    for moment in pending:
        look(moment, runner)
    return stats


def customer_states(runner: OfflineRunner) -> Iterator[tuple[CustomerState, Population]]:
    """Every customer the engines know, with its partition's population (for usage_drop)."""
    for partition in sorted(runner.engines):
        engine = runner.engines[partition]
        for state in engine.states.values():
            yield state, engine.population


def new_runner(policy: Policy, cal: Calendar, partitions: int) -> OfflineRunner:
    """The offline engines, as `churnwatch replay` into a worker would run them."""
    return OfflineRunner(policy, cal, partitions)
