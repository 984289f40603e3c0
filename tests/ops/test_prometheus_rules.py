"""The on-call rules: valid for promtool, unit-tested with `promtool test rules`, every alert
annotated and linked to a runbook section that exists, routed by Alertmanager as intended."""

from __future__ import annotations

import re

import pytest

from tests.ops.support import (
    ALERTMANAGER_CONFIG,
    PROMETHEUS_CONFIG,
    RULE_FILES,
    RULE_TESTS,
    RUNBOOKS,
    alert_rules,
    load_yaml,
    markdown_anchors,
    require_binary,
    run_tool,
)

# What the issue asks on-call to be told about, by alert name.
REQUIRED_ALERTS = {
    "worker down": {"ChurnwatchWorkerDown", "ChurnwatchNoWorkerUp"},
    "events stopped while lag grows": {"ChurnwatchEventsStalled"},
    "consumer lag high": {"ChurnwatchConsumerLagHigh"},
    "dead-letter ratio above a threshold": {"ChurnwatchDeadLetterRatioHigh"},
    "processing latency p99 too high": {"ChurnwatchLatencyP99High"},
    "Redis failures": {"ChurnwatchRedisWritesFailing"},
    "surge of critical alerts vs the 7-day baseline": {"ChurnwatchCriticalAlertSurge"},
    "regional surge of competitor_contact": {"ChurnwatchCompetitorContactSurge"},
    "platinum/gold critical without a task": {"ChurnwatchHighValueCriticalWithoutTask"},
}
SEVERITIES = {"critical", "warning", "info"}
TEAMS = {"sre", "retention", "marketing"}


def test_rule_files_pass_promtool_check() -> None:
    promtool = require_binary("promtool")
    assert RULE_FILES, "no rule files in ops/prometheus/rules"
    run_tool([promtool, "check", "rules", *map(str, RULE_FILES)])


def test_prometheus_config_passes_promtool_check() -> None:
    # Also checks that its rule_files glob finds the rule files, relative to the config.
    promtool = require_binary("promtool")
    output = run_tool([promtool, "check", "config", str(PROMETHEUS_CONFIG)])
    assert f"SUCCESS: {len(RULE_FILES)} rule files found" in output, output


def test_rules_pass_their_promtool_unit_tests() -> None:
    promtool = require_binary("promtool")
    assert RULE_TESTS, "no promtool unit tests in ops/prometheus/tests"
    run_tool([promtool, "test", "rules", *map(str, RULE_TESTS)])


def test_every_rule_file_is_unit_tested_and_every_alert_fires_in_a_test() -> None:
    tested_files: set[str] = set()
    fired: set[str] = set()
    for path in RULE_TESTS:
        spec = load_yaml(path)
        tested_files.update(name.rsplit("/", 1)[-1] for name in spec["rule_files"])
        for case in spec["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    fired.add(check["alertname"])
    assert {p.name for p in RULE_FILES} <= tested_files
    names = {rule["alert"] for rule in alert_rules()}
    assert names - fired == set(), "alerts never shown firing in a promtool test"


def test_the_issue_alerts_all_exist() -> None:
    names = {rule["alert"] for rule in alert_rules()}
    missing = {what: want - names for what, want in REQUIRED_ALERTS.items() if want - names}
    assert not missing


@pytest.mark.parametrize(
    "rule", alert_rules(), ids=lambda r: f"{r['alert']}-{r['labels']['severity']}"
)
def test_alert_is_labelled_annotated_and_linked_to_its_runbook(rule: dict) -> None:
    assert rule["alert"].startswith("Churnwatch")
    labels, annotations = rule["labels"], rule["annotations"]
    assert labels["severity"] in SEVERITIES
    assert labels["team"] in TEAMS
    for key in ("summary", "description", "runbook_url"):
        assert annotations.get(key, "").strip(), f"{rule['alert']}: no {key}"
    match = re.fullmatch(r"docs/runbooks\.md#([a-z0-9_-]+)", annotations["runbook_url"])
    assert match, f"{rule['alert']}: runbook_url must be docs/runbooks.md#<anchor>"
    assert RUNBOOKS.exists(), "docs/runbooks.md is missing"
    anchors = markdown_anchors(RUNBOOKS.read_text())
    assert match.group(1) in anchors, (
        f"{rule['alert']}: docs/runbooks.md has no section #{match.group(1)}"
    )
    # Every alert selects the workers' job, so a second system in the same Prometheus
    # cannot trigger it.
    assert 'job="churnwatch"' in rule["expr"] or "churnwatch:" in rule["expr"]


def test_every_runbook_names_its_alerts() -> None:
    text = RUNBOOKS.read_text()
    for rule in alert_rules():
        assert rule["alert"] in text, f"docs/runbooks.md never names {rule['alert']}"


def test_alertmanager_config_passes_amtool_check() -> None:
    amtool = require_binary("amtool")
    run_tool([amtool, "check-config", str(ALERTMANAGER_CONFIG)])


def _expected_receiver(labels: dict[str, str]) -> str:
    if labels["severity"] == "critical":
        return "oncall-pager"
    return {"marketing": "marketing", "retention": "retention-leads"}.get(
        labels["team"], "sre-tickets"
    )


@pytest.mark.parametrize(
    "rule", alert_rules(), ids=lambda r: f"{r['alert']}-{r['labels']['severity']}"
)
def test_alertmanager_routes_each_alert_to_its_owner(rule: dict) -> None:
    amtool = require_binary("amtool")
    labels = {"alertname": rule["alert"], **rule["labels"]}
    output = run_tool(
        [
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={ALERTMANAGER_CONFIG}",
            *(f"{k}={v}" for k, v in labels.items()),
        ],
        stderr=False,  # amtool warns there that --config.file overrides --alertmanager.url
    )
    assert output.split() == [_expected_receiver(labels)], output
