"""The Grafana dashboard, statically: well-formed, laid out, tied to the provisioned data source,
covering what the issue asks for, and every query valid PromQL (promtool parses each one as a
recording rule). `test_prometheus_live.py` runs the same queries against real data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.ops.support import (
    dashboard,
    dashboard_panels,
    require_binary,
    run_tool,
    substitute_variables,
)

# The issue's list, as panel titles (case-insensitive substrings), by row.
REQUIRED = {
    "Pipeline": [
        "throughput by topic",
        "consumer lag by topic",
        "processing latency",
        "dead letters by code",
    ],
    "Risk": [
        "alerts by level",
        "alerts by reason",
        "customers at risk by tier",
        "customers at risk by stage",
        "score distribution",
        "competitor contacts by region",
    ],
    "Care": [
        "tasks by action",
        "tasks by channel",
        "outcomes by action",
        "save rate by action: treated vs control",
        "lead time",
    ],
    "Churn reasons": [
        "customers at risk by reason category",
        "customers at risk by reason category and tier",
        "churned by reason category and tier",
    ],
}


@pytest.fixture(scope="module")
def board() -> dict[str, Any]:
    return dashboard()


def _targets(board: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(p["title"], t) for p in dashboard_panels(board) for t in p.get("targets", [])]


def test_dashboard_identity_and_variables(board: dict[str, Any]) -> None:
    assert board["uid"] == "churnwatch-overview"
    assert board["title"] == "churnwatch"
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["datasource"]["current"]["value"] == "churnwatch-prometheus"
    assert variables["instance"]["allValue"] == ".*"


def test_panels_are_unique_and_tiled_without_overlap(board: dict[str, Any]) -> None:
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    cells: dict[tuple[int, int], str] = {}
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_every_panel_queries_the_churnwatch_job_through_the_variable(
    board: dict[str, Any],
) -> None:
    for panel in dashboard_panels(board):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel.get("description"), f"{panel['title']}: no description"
        assert panel["targets"], f"{panel['title']}: no query"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
            assert 'job="churnwatch",instance=~"$instance"' in target["expr"], panel["title"]


def test_rows_hold_the_panels_the_issue_asks_for(board: dict[str, Any]) -> None:
    rows: dict[str, list[str]] = {}
    current = None
    for panel in board["panels"]:
        if panel["type"] == "row":
            current = panel["title"]
            rows[current] = []
        else:
            assert current is not None, f"{panel['title']} is above the first row"
            rows[current].append(panel["title"].lower())
    for row, wanted in REQUIRED.items():
        assert row in rows, f"no {row} row"
        for title in wanted:
            assert any(title in t for t in rows[row]), f"{row} row has no '{title}' panel"


def test_every_query_is_valid_promql(board: dict[str, Any], tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    rules = [
        {"record": f"panel_{i}", "expr": substitute_variables(target["expr"])}
        for i, (_, target) in enumerate(_targets(board))
    ]
    for rule in rules:
        assert "$" not in rule["expr"], f"unsubstituted variable in {rule['expr']}"
    path = tmp_path / "panels.rules.yml"
    # JSON is YAML: promtool parses every expression as it would a rule's.
    path.write_text(json.dumps({"groups": [{"name": "panels", "rules": rules}]}))
    output = run_tool([promtool, "check", "rules", str(path)])
    assert f"SUCCESS: {len(rules)} rules found" in output, output
