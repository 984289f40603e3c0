"""The worker's metrics follow Prometheus conventions and the issue's label rules, and every
metric the ops files read is either exported or specified for the worker to add."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from agents.metrics import Metrics
from tests.ops.support import OPERATIONS, RULE_FILES, dashboard, dashboard_panels, metric_names

# Business dimensions the issue allows, then the pipeline's own closed sets (contract topic
# names, contract error codes, alert statuses, caught yes/no, the garbage collector's three
# generations), then the closed sets the specified care metrics need (contract outcomes,
# treated/control, retained/churned), with the task priority and holdout flag issue #4 names,
# and issue #10's churn-reason category; `kind` is what one customer's bookkeeping let go
# (event ids or facts).
# `category` is the churn-reason category (issue #10 asks for it): seven churn causes.
BUSINESS_LABELS = {"region", "level", "tier", "stage", "signal", "action", "channel", "category"}
PIPELINE_LABELS = {"topic", "code", "status", "caught", "generation", "kind"}
CARE_LABELS = {"outcome", "group", "result", "priority", "control", "category"}
ALLOWED_LABELS = BUSINESS_LABELS | PIPELINE_LABELS | CARE_LABELS
NON_BASE_UNITS = re.compile(
    r"_(milliseconds|millis|ms|microseconds|us|minutes|hours|days|percent|kilobytes|kb|"
    r"megabytes|mb|bits)(_|$)"
)
BASE_UNIT_SUFFIXES = ("_seconds", "_bytes", "_ratio", "_messages")


def _collectors() -> list[MetricWrapperBase]:
    metrics = Metrics(CollectorRegistry())
    found = [v for v in vars(metrics).values() if isinstance(v, MetricWrapperBase)]
    assert found, "agents.metrics.Metrics holds no metrics"
    return found


COLLECTORS = _collectors()


def _exposed_name(collector: MetricWrapperBase) -> str:
    name = str(collector._name)
    return f"{name}_total" if isinstance(collector, Counter) else name


@pytest.mark.parametrize("collector", COLLECTORS, ids=_exposed_name)
def test_metric_name_and_type_follow_conventions(collector: MetricWrapperBase) -> None:
    name = _exposed_name(collector)
    assert name.startswith("churnwatch_"), name
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
    assert not NON_BASE_UNITS.search(name), f"{name}: use base units (seconds, bytes, ratio)"
    assert collector._documentation.strip(), f"{name}: no help text"
    if isinstance(collector, Histogram):
        assert name.endswith(BASE_UNIT_SUFFIXES), f"{name}: a histogram needs its unit"
        assert tuple(collector._upper_bounds) != tuple(Histogram.DEFAULT_BUCKETS), (
            f"{name}: explicit buckets, not prometheus_client's defaults"
        )
    elif isinstance(collector, Gauge):
        assert not name.endswith("_total"), f"{name}: _total is for counters"


@pytest.mark.parametrize("collector", COLLECTORS, ids=_exposed_name)
def test_labels_are_closed_dimensions_never_customers(collector: MetricWrapperBase) -> None:
    labels = set(collector._labelnames)
    assert labels <= ALLOWED_LABELS, (
        f"{_exposed_name(collector)}: labels {sorted(labels - ALLOWED_LABELS)} are outside "
        f"the allowed dimensions {sorted(ALLOWED_LABELS)}"
    )


def test_every_metric_the_ops_files_read_is_exported_or_specified() -> None:
    exported = set()
    for collector in COLLECTORS:
        name = _exposed_name(collector)
        exported.add(name)
        if isinstance(collector, Histogram):
            exported.update(f"{name}{s}" for s in ("_bucket", "_count", "_sum"))
    read: set[str] = set()
    for path in RULE_FILES:
        read |= metric_names(path.read_text())
    for panel in dashboard_panels(dashboard()):
        for target in panel["targets"]:
            read |= metric_names(target["expr"])
    specified_section = OPERATIONS.read_text().split("## Metrics still to add", 1)
    assert len(specified_section) == 2, "docs/operations.md has no 'Metrics still to add'"
    specified = set(re.findall(r"`(churnwatch_[a-z0-9_]+)`", specified_section[1]))
    specified |= {f"{name}{s}" for name in specified for s in ("_bucket", "_count", "_sum")}
    unknown = read - exported - specified
    assert not unknown, f"read by rules or panels, neither exported nor specified: {unknown}"
    # A specified metric that the worker now exports should leave the to-do list.
    done = {n for n in specified & exported if not n.endswith(("_bucket", "_count", "_sum"))}
    assert not done, f"exported now, remove from 'Metrics still to add': {sorted(done)}"
