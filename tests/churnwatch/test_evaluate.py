"""`churnwatch evaluate`: the offline replay gives the oracle's alerts, and a small hand-checked
population gives the figures worked out by hand below; the metrics treat ties fairly."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest

from churnwatch.cli import main
from churnwatch.evaluate import SUMMARY_KEYS, evaluate_history
from churnwatch.evaluation_data import HistoryError, parse_moment, read_labels
from churnwatch.evaluation_metrics import auc, lift, precision_recall, roc_curve
from config.policy import Policy
from sim.export import write_jsonl
from sim.population import SimConfig, simulate, write_truth_csv
from streams.calendar import Calendar
from streams.offline import read_replay_file, run_offline
from tests.streams.scenarios import Life
from tests.support.story import START, Story, merged

UTC = Calendar("UTC")
AT_DAY = 45  # scored as of the midnight that starts story day 45 (2026-02-19)


def _day(n: int) -> str:
    return UTC.to_date(UTC.day_of_date(START) + n).isoformat()


def write_stories(path: Path, stories: list[Story]) -> None:
    with path.open("wb") as handle:
        for record in merged(*stories):
            line = {"topic": record.topic, "key": record.key, "value": orjson.loads(record.value)}
            handle.write(orjson.dumps(line) + b"\n")


def write_labels(path: Path, churn_days: dict[str, int | None]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "churn_date"])
        for customer, day in churn_days.items():
            writer.writerow([customer, "" if day is None else _day(day)])


def hand_checked(tmp_path: Path) -> tuple[Path, Path]:
    """Ten customers, steady every day up to day 44 unless said otherwise:
    C1 asks to port out on day 44 (critical: score 1/(1+e^-4) = 0.982), churns on day 50;
    C2 calls a competitor on day 40 (high: 1/(1+e^-1) = 0.731), churns on day 55;
    C3 calls a competitor on day 40 too, and stays;
    C4 churns on day 70, after the 14-day horizon: a negative;
    C5-C8 stay; C10 churns on day 52 without a signal (scored like C4-C8: 0.047);
    C9 asks to port out on day 25 at 09:00 and leaves on day 30 at 12:00: gone by day 45."""
    stories = {f"C{i}": Life(f"C{i}") for i in range(1, 11)}
    for customer, story in stories.items():
        story.steady(0, 29 if customer == "C9" else 44)
    stories["C1"].crm(44, "port_out_request")
    stories["C2"].outgoing(40, 3, hour=13, to="10010")
    stories["C3"].outgoing(40, 3, hour=13, to="10010")
    stories["C9"].crm(25, "port_out_request").crm(30, "port_out_completed", hour=12)
    events, labels = tmp_path / "events.jsonl", tmp_path / "labels.csv"
    write_stories(events, list(stories.values()))
    churn = dict.fromkeys(stories, None) | {"C1": 50, "C2": 55, "C4": 70, "C9": 30, "C10": 52}
    write_labels(labels, churn)
    return events, labels


def test_the_hand_checked_case_gives_the_figures_worked_out_by_hand(tmp_path: Path) -> None:
    events, labels = hand_checked(tmp_path)
    result = evaluate_history(
        events, read_labels(labels), Policy(), UTC, parse_moment(_day(AT_DAY), UTC), 14
    )
    figures = result.summary()
    assert list(figures) == list(SUMMARY_KEYS)
    assert (figures["customers"], figures["positives"], result.gone) == (9, 3, 1)
    # 18 positive-negative pairs: C1 beats all 6 negatives; C2 beats 5 and ties C3 (0.731);
    # C10 ties the 5 quiet negatives (2.5) and loses to C3: (6 + 5.5 + 2.5) / 18.
    assert figures["auc"] == pytest.approx(14 / 18, abs=1e-4)
    # The top 10% of 9 customers is 0.9 of C1 (a positive): rate 1 against 3/9.
    assert figures["lift_top_decile"] == pytest.approx(3.0)
    # medium or above and high or above: C1, C2, C3; critical: C1 alone.
    two_thirds, third = 0.6667, 0.3333
    assert figures["precision"] == pytest.approx(
        {"medium": two_thirds, "high": two_thirds, "critical": 1.0}
    )
    assert figures["recall"] == pytest.approx(
        {"medium": two_thirds, "high": two_thirds, "critical": third}
    )
    # Raised alerts: C1 (day 44), C2 and C3 (day 41, the day close after the call), C9 (day 25):
    # 4 over 9 customers x 45 days + C9's 30.5 days.
    assert result.alerts == 4
    assert result.customer_days == pytest.approx(9 * 45 + 30.5)
    assert figures["alerts_per_1000_per_day"] == pytest.approx(4 / 435.5 * 1000, abs=1e-3)
    # C9: first alert on day 25 at 09:00, churned on day 30 at 12:00.
    assert (result.churners, result.lead_days) == (1, [pytest.approx(5.125)])
    assert figures["median_lead_days"] == pytest.approx(5.125)


def test_evaluate_replays_with_the_oracles_alerts(tmp_path: Path) -> None:
    truths, records = simulate(SimConfig(customers=80, days=60, seed=5, churn_share=0.3))
    events, labels = tmp_path / "events.jsonl", tmp_path / "labels.csv"
    write_jsonl(records, events)
    write_truth_csv(truths, labels)
    result = evaluate_history(events, read_labels(labels), Policy(), UTC)
    with events.open("rb") as handle:
        oracle = run_offline(read_replay_file(handle), Policy(), UTC)
    assert result.offline.alerts  # the simulated churners are alerted
    assert [a.alert_id for a in result.offline.alerts] == [a.alert_id for a in oracle.alerts]
    assert [t.task_id for t in result.offline.tasks] == [t.task_id for t in oracle.tasks]
    assert result.stats.ignored == 0  # --at defaults to the latest event: nothing left out


def test_events_after_at_are_ignored(tmp_path: Path) -> None:
    events, labels = hand_checked(tmp_path)
    early = evaluate_history(
        events, read_labels(labels), Policy(), UTC, parse_moment(_day(30), UTC), 14
    )
    assert early.stats.ignored > 0
    assert all(a.ts <= parse_moment(_day(30), UTC) for a in early.offline.alerts)
    assert {a.customer_id for a in early.offline.alerts} == {"C9"}


def test_the_cli_prints_one_json_object_and_writes_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events, labels = hand_checked(tmp_path)
    report = tmp_path / "report"
    argv = ["evaluate", "--events", str(events), "--labels", str(labels), "--at", _day(AT_DAY)]
    assert main([*argv, "--horizon-days", "14", "--json", "--report", str(report)]) == 0
    out = capsys.readouterr().out
    figures = orjson.loads(out)
    assert list(figures) == list(SUMMARY_KEYS) and out.count("\n") == 1
    assert figures["auc"] == pytest.approx(14 / 18, abs=1e-4)
    for name in ("report.md", "roc.svg", "lift.svg", "lead_time.svg", "scores.svg"):
        assert (report / name).stat().st_size > 0
    text = (report / "report.md").read_text()
    assert "![ROC curve](roc.svg)" in text and "| AUC | 0.778 |" in text
    assert orjson.loads((report / "summary.json").read_bytes()) == figures
    assert main([*argv, "--horizon-days", "14"]) == 0
    assert "top-decile lift      3.00" in capsys.readouterr().out


def test_the_cli_names_the_bad_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events, labels = hand_checked(tmp_path)
    with events.open("ab") as handle:
        handle.write(b"{not json\n")
    argv = ["evaluate", "--events", str(events), "--labels", str(labels)]
    assert main(argv) == 2
    lines = sum(1 for _ in events.open("rb"))
    assert f"line {lines}" in capsys.readouterr().err


def test_labels_are_checked_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("customer_id,churn_date\nC1,\nC2,2026-13-01\n")
    with pytest.raises(HistoryError, match=r"labels\.csv:3: churn_date '2026-13-01'"):
        read_labels(path)
    path.write_text("customer,churned\nC1,\n")
    with pytest.raises(HistoryError, match="header must name customer_id, churn_date"):
        read_labels(path)
    path.write_text("customer_id,churn_date,path\nC1,,steady\nC2,2026-03-01,silent\n")
    assert read_labels(path) == {"C1": None, "C2": UTC.to_date(UTC.day_of_date(START) + 55)}


def test_at_takes_a_date_or_an_rfc3339_time() -> None:
    assert parse_moment("2026-02-19", UTC) == UTC.day_start(UTC.day_of_date(START) + 45)
    assert parse_moment("2026-02-19T08:00:00+08:00", UTC) == parse_moment("2026-02-19", UTC)
    assert parse_moment("2026-02-19", Calendar("Asia/Shanghai")) == parse_moment(
        "2026-02-18T16:00:00Z", UTC
    )
    with pytest.raises(HistoryError, match="--at 'soon'"):
        parse_moment("soon", UTC)


def test_auc_and_lift_count_ties_fairly() -> None:
    assert auc([0.9, 0.1, 0.5, 0.5], [True, False, True, False]) == 0.875  # (1 + 0.5 + 1 + 1) / 4
    assert auc([0.3, 0.3], [True, False]) == 0.5
    assert auc([0.3, 0.4], [False, False]) is None
    # Ten customers all tied, two positives: any top share holds the base rate, lift 1.
    assert lift([0.2] * 10, [True, True] + [False] * 8) == pytest.approx(1.0)
    assert lift([0.9, 0.8] + [0.1] * 18, [True, False] + [False] * 18, 0.1) == pytest.approx(10.0)
    assert roc_curve([0.9, 0.1], [True, False]) == [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)]


def test_precision_and_recall_count_each_level_and_above() -> None:
    levels = ["critical", "high", "medium", "medium", "none"]
    outcome = [True, False, True, False, True]
    assert precision_recall(levels, outcome) == {
        "medium": (0.5, 2 / 3),
        "high": (0.5, 1 / 3),
        "critical": (1.0, 1 / 3),
    }
    assert precision_recall(["none"], [False])["critical"] == (None, None)
