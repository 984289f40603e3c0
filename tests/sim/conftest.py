"""Shared simulator runs and the contract's field rules for the sim tests."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import pytest

from sim.model import ALL_PATHS, GroundTruth, SimConfig, SimRecord
from sim.population import simulate


@dataclass
class Run:
    """A materialised simulation with handy indexes."""

    cfg: SimConfig
    truths: list[GroundTruth]
    records: list[SimRecord]
    by_customer: dict[str, list[SimRecord]] = field(default_factory=dict)
    truth: dict[str, GroundTruth] = field(default_factory=dict)

    def __post_init__(self) -> None:
        grouped: dict[str, list[SimRecord]] = defaultdict(list)
        for record in self.records:
            grouped[record.key].append(record)
        self.by_customer = dict(grouped)
        self.truth = {t.customer_id: t for t in self.truths}

    def day(self, record: SimRecord) -> int:
        return (record.ts.date() - self.cfg.start).days

    def customers(self, path: str) -> list[str]:
        return [t.customer_id for t in self.truths if t.path == path]


def run_of(cfg: SimConfig) -> Run:
    truths, records = simulate(cfg)
    return Run(cfg, truths, list(records))


# SIM_TEST_SEED=n runs the property tests on another population (e.g. in a loop, to fuzz).
SEED = int(os.environ.get("SIM_TEST_SEED", "7"))


@pytest.fixture(scope="session")
def default_run() -> Run:
    """Default paths and churn share, 400 customers x 120 days."""
    return run_of(SimConfig(customers=400, seed=SEED))


@pytest.fixture(scope="session")
def all_paths_run() -> Run:
    """Every churn path, including the extra ones, with a high churn share."""
    return run_of(SimConfig(customers=300, seed=SEED + 4, churn_share=0.32, paths=ALL_PATHS))


# --------------------------------------------------------------------------- contract rules

TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
PHONE = re.compile(r"^\+?\d+$")
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CUSTOMER_ID = re.compile(r"^C\d{6}$")

KINDS = {
    "telecom.cdr": {"voice", "sms", "data"},
    "telecom.billing": {"invoice", "payment", "topup", "overdue", "dispute", "refund"},
    "telecom.crm": {
        "activation",
        "profile",
        "contract",
        "plan_change",
        "complaint",
        "complaint_resolved",
        "cancel_inquiry",
        "port_out_request",
        "port_out_completed",
        "deactivation",
        "care_contact",
    },
}
COMMON = {"event_id", "customer_id", "ts", "kind"}
KNOWN_FIELDS = {
    "telecom.cdr": COMMON
    | {"direction", "duration_s", "counterpart", "forwarded", "dropped", "roaming"}
    | {"bytes", "charge", "region", "cell_id"},
    "telecom.billing": COMMON
    | {"amount", "period", "plan_fee", "balance", "days_overdue", "reason"},
    "telecom.crm": COMMON
    | {"msisdn", "plan_id", "plan_fee", "previous_plan_fee", "contract_end", "segment"}
    | {"region", "account_manager", "complaint_id", "category", "severity", "satisfied"}
    | {"channel"},
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_optional(value: dict[str, object], errors: list[str]) -> None:
    """Type and range rules for the optional fields, whatever the topic."""
    for name in ("charge", "amount", "plan_fee", "previous_plan_fee"):
        if name in value and not (_is_number(value[name]) and value[name] >= 0):  # type: ignore[operator]
            errors.append(f"{name} must be a number >= 0")
    if "balance" in value and not _is_number(value["balance"]):
        errors.append("balance must be a number")
    for name in ("duration_s", "bytes", "days_overdue"):
        if name in value and not _is_count(value[name]):
            errors.append(f"{name} must be an integer >= 0")
    for name in ("forwarded", "dropped", "roaming", "satisfied"):
        if name in value and not isinstance(value[name], bool):
            errors.append(f"{name} must be a boolean")
    for name in ("region", "cell_id", "reason", "plan_id", "account_manager", "channel"):
        if name in value and not (isinstance(value[name], str) and value[name]):
            errors.append(f"{name} must be a non-empty string")
    for name in ("counterpart", "msisdn"):
        if name in value and not (isinstance(value[name], str) and PHONE.match(value[name])):
            errors.append(f"{name} must be digits, optionally after +")
    if "period" in value and not (
        isinstance(value["period"], str) and PERIOD.match(value["period"])
    ):
        errors.append("period must be YYYY-MM")
    if "contract_end" in value:
        try:
            date.fromisoformat(str(value["contract_end"]))
        except ValueError:
            errors.append("contract_end must be YYYY-MM-DD")
    if "segment" in value and value["segment"] not in ("consumer", "business"):
        errors.append("segment must be consumer|business")
    if "category" in value and value["category"] not in (
        "network",
        "billing",
        "service",
        "price",
        "other",
    ):
        errors.append("unknown complaint category")
    if "severity" in value and value["severity"] not in (1, 2, 3):
        errors.append("severity must be 1-3")


def _check_kind(topic: str, value: dict[str, object], errors: list[str]) -> None:
    kind = value["kind"]
    if topic == "telecom.cdr" and kind in ("voice", "sms"):
        if value.get("direction") not in ("out", "in"):
            errors.append("direction must be out|in")
        if "counterpart" not in value:
            errors.append("counterpart is required")
        if kind == "voice" and "duration_s" not in value:
            errors.append("duration_s is required")
    if topic == "telecom.cdr" and kind == "data" and "bytes" not in value:
        errors.append("bytes is required")
    if topic == "telecom.billing" and "amount" not in value:
        errors.append("amount is required")


def contract_errors(record: SimRecord) -> list[str]:
    """Everything about `record` that breaks the wire contract (empty when valid)."""
    value = record.value
    if record.topic not in KINDS:
        return [f"unknown topic {record.topic}"]
    errors = [f"missing {name}" for name in COMMON if name not in value]
    if errors:
        return errors
    if value["kind"] not in KINDS[record.topic]:
        return [f"unknown kind {value['kind']}"]
    if not (isinstance(value["customer_id"], str) and CUSTOMER_ID.match(value["customer_id"])):
        errors.append("customer_id must look like C000123")
    if record.key != value["customer_id"]:
        errors.append("key must be the customer_id")
    if not (isinstance(value["event_id"], str) and value["event_id"]):
        errors.append("event_id must be a non-empty string")
    ts = value["ts"]
    if not (isinstance(ts, str) and TS.match(ts)):
        errors.append("ts must be RFC 3339 with seconds and an offset")
    elif datetime.fromisoformat(ts) != record.ts:
        errors.append("ts string and record ts differ")
    unknown = set(value) - KNOWN_FIELDS[record.topic]
    if unknown:
        errors.append(f"fields not in the contract: {sorted(unknown)}")
    _check_optional(value, errors)
    _check_kind(record.topic, value, errors)
    return errors


@pytest.fixture(scope="session")
def make_run() -> Callable[[SimConfig], Run]:
    """Simulate and index any configuration."""
    return run_of


@pytest.fixture(scope="session")
def check_contract() -> Callable[[SimRecord], list[str]]:
    """The contract validator, as a fixture (conftest modules are not importable)."""
    return contract_errors
