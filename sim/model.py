"""Value types shared by the simulator modules: configuration, ground truth, records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

DEFAULT_PATHS = ("fading_usage", "silent", "competitor", "contract_end", "port_out")
EXTRA_PATHS = ("call_forwarding", "complaints", "price")
ALL_PATHS = DEFAULT_PATHS + EXTRA_PATHS
STEADY = "steady"

#: The signal that should be the top reason of a churner's alert, by path.
EXPECTED_SIGNAL = {
    "fading_usage": "usage_drop",
    "silent": "zero_activity",
    "competitor": "competitor_contact",
    "contract_end": "contract_expiring",
    "port_out": "port_out_request",
    "call_forwarding": "call_forwarding",
    "complaints": "complaint",
    "price": "spend_below_plan",
}

MIN_DAYS = 56  # a 4-week baseline, then the churn half of the window


@dataclass(frozen=True)
class SimConfig:
    """What to simulate. Output for one customer depends only on (seed, index, days, start,
    churn_share, paths), never on how many customers there are."""

    customers: int = 2000
    days: int = 120
    seed: int = 7
    start: date = date(2026, 1, 5)  # a Monday
    churn_share: float = 0.15  # share of customers who churn during the run
    paths: tuple[str, ...] = DEFAULT_PATHS

    def __post_init__(self) -> None:
        if self.customers < 0:
            raise ValueError(f"customers must be >= 0, got {self.customers}")
        if self.days < MIN_DAYS:
            raise ValueError(f"days must be >= {MIN_DAYS} (4-week baseline + churn half)")
        if not 0.0 <= self.churn_share <= 1.0:
            raise ValueError(f"churn_share must be within 0..1, got {self.churn_share}")
        unknown = [path for path in self.paths if path not in ALL_PATHS]
        if unknown:
            raise ValueError(f"unknown churn paths {unknown}; known: {list(ALL_PATHS)}")
        if self.churn_share > 0 and not self.paths:
            raise ValueError("churn_share > 0 needs at least one churn path")


@dataclass(frozen=True)
class GroundTruth:
    """What really happens to one customer."""

    customer_id: str
    path: str  # "steady" or one of the churn paths
    churn_date: date | None  # date of port_out_completed / deactivation; None for steady
    expected_signal: str | None  # the signal that should be the TOP reason of the alert
    signal_start: date | None  # first day the pattern is visible


@dataclass(frozen=True)
class SimRecord:
    """One input event, ready to produce: topic, key (customer_id), JSON value, event time."""

    topic: str
    key: str
    value: dict[str, object]
    ts: datetime
