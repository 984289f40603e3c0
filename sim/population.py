"""The simulated population: ground truth plus all records merged in event-time order.

Pure: no I/O except `write_truth_csv`. Each customer's records come from a generator fed
by the customer's own random streams, derived from (seed, customer index), so a customer's
output does not depend on how many customers are simulated. The streams are merged lazily
with `heapq.merge` on `ts`; equal timestamps keep customer-index order.
"""

from __future__ import annotations

import csv
import heapq
from collections.abc import Iterable, Iterator
from datetime import timedelta
from operator import attrgetter
from os import PathLike

from sim.clock import Calendar
from sim.customer import CustomerLife
from sim.model import EXPECTED_SIGNAL, GroundTruth, SimConfig, SimRecord
from sim.profiles import CustomerPlan, customer_rng, draw_customer

__all__ = [
    "TRUTH_HEADER",
    "GroundTruth",
    "SimConfig",
    "SimRecord",
    "draw_population",
    "ground_truth",
    "simulate",
    "write_truth_csv",
]

TRUTH_HEADER = ("customer_id", "churn_date", "path", "expected_signal", "signal_start")

_event_time = attrgetter("ts")


def draw_population(cfg: SimConfig) -> list[CustomerPlan]:
    """Everything fixed about each customer (profile, habits, circle, fate)."""
    cal = Calendar(cfg.start, cfg.days)
    return [
        draw_customer(cfg, cal, index, customer_rng(cfg.seed, index, "profile"))
        for index in range(cfg.customers)
    ]


def ground_truth(plan: CustomerPlan, cfg: SimConfig) -> GroundTruth:
    """What really happens to a customer, as dates."""
    story = plan.story
    if story is None:
        return GroundTruth(plan.customer_id, "steady", None, None, None)
    return GroundTruth(
        customer_id=plan.customer_id,
        path=story.path,
        churn_date=cfg.start + timedelta(days=story.churn_day),
        expected_signal=EXPECTED_SIGNAL[story.path],
        signal_start=cfg.start + timedelta(days=story.signal_start),
    )


def customer_records(plan: CustomerPlan, cfg: SimConfig, cal: Calendar) -> Iterator[SimRecord]:
    """One customer's records in event-time order (lazy)."""
    life = CustomerLife(plan, cal, customer_rng(cfg.seed, plan.index, "life"))
    return life.records()


def simulate(cfg: SimConfig) -> tuple[list[GroundTruth], Iterator[SimRecord]]:
    """Ground truth for every customer, and all records merged in event-time order.

    The iterator is lazy (memory stays flat) and can be consumed once."""
    cal = Calendar(cfg.start, cfg.days)
    plans = draw_population(cfg)
    truths = [ground_truth(plan, cfg) for plan in plans]
    streams = [customer_records(plan, cfg, cal) for plan in plans]
    return truths, heapq.merge(*streams, key=_event_time)


def write_truth_csv(truths: Iterable[GroundTruth], path: str | PathLike[str]) -> int:
    """Labels for `churnwatch evaluate`: `customer_id,churn_date` (empty = did not churn),
    then `path,expected_signal,signal_start`. Returns the number of rows written."""
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRUTH_HEADER)
        for truth in truths:
            writer.writerow(
                (
                    truth.customer_id,
                    truth.churn_date.isoformat() if truth.churn_date else "",
                    truth.path,
                    truth.expected_signal or "",
                    truth.signal_start.isoformat() if truth.signal_start else "",
                )
            )
            rows += 1
    return rows
