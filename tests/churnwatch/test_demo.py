"""`churnwatch demo` end to end on embedded services (a small population, to stay quick)."""

from __future__ import annotations

import pytest

from tests.churnwatch.test_cli import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def test_the_demo_prints_alerts_tasks_and_a_summary_against_the_ground_truth() -> None:
    done = run_cli("demo", "--customers", "100", "--days", "60", "--seed", "3")
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "raised" in out and "task" in out
    assert "=== churnwatch demo summary ===" in out
    caught = next(line for line in out.splitlines() if line.startswith("churners caught"))
    steady = next(line for line in out.splitlines() if line.startswith("steady customers"))
    found, total = caught.split(": ")[1].split(" of ")
    assert found == total and int(total) > 0
    assert steady.startswith("steady customers alerted: 0 of")
