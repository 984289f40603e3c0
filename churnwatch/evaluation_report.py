"""`churnwatch evaluate --report DIR`: a markdown report with its plots.

The plots are small hand-written SVG files (ROC curve, lift chart, lead-time histogram, score
distribution by outcome): no plotting library to install, and any markdown viewer or browser
shows them. `DIR/summary.json` holds the same figures as `--json`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from html import escape
from itertools import pairwise
from pathlib import Path

import orjson

from churnwatch.evaluate import EvaluationResult, moment_text
from churnwatch.evaluation_metrics import (
    ALERT_LEVELS,
    histogram,
    level_rank,
    lift_curve,
    precision_recall,
    roc_curve,
)

WIDTH, HEIGHT = 480, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 44
POSITIVE, NEGATIVE, LINE, GRID = "#c0392b", "#2c7fb8", "#333333", "#dddddd"
LEAD_EDGES = [0, 7, 14, 21, 28, 35, 42, 49, 56]  # weeks; the last bin takes longer leads
SCORE_EDGES = [i / 10 for i in range(11)]


class Chart:
    """A plot area mapped to data coordinates, collecting SVG elements."""

    def __init__(self, title: str, x_label: str, y_label: str, x_max: float, y_max: float):
        self.x_max, self.y_max = x_max or 1.0, y_max or 1.0
        self.parts = [
            f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-weight="bold">'
            f"{escape(title)}</text>",
            f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_label)}</text>',
            f'<text x="14" y="{HEIGHT / 2}" text-anchor="middle" '
            f'transform="rotate(-90 14 {HEIGHT / 2})">{escape(y_label)}</text>',
        ]

    def x(self, value: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * value / self.x_max

    def y(self, value: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * value / self.y_max

    def axes(self, x_ticks: Sequence[tuple[float, str]], y_ticks: Sequence[float]) -> None:
        for value in y_ticks:
            y = self.y(value)
            self.parts.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                f'stroke="{GRID}"/><text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                f"{value:g}</text>"
            )
        for value, label in x_ticks:
            x = self.x(value)
            self.parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
        self.parts.append(
            f'<polyline points="{LEFT},{TOP} {LEFT},{HEIGHT - BOTTOM} '
            f'{WIDTH - RIGHT},{HEIGHT - BOTTOM}" fill="none" stroke="{LINE}"/>'
        )

    def line(self, points: Sequence[tuple[float, float]], colour: str, dash: bool = False) -> None:
        path = " ".join(f"{self.x(a):.1f},{self.y(b):.1f}" for a, b in points)
        style = ' stroke-dasharray="4 4"' if dash else ""
        self.parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{style}/>'
        )

    def bar(self, x0: float, x1: float, height: float, colour: str) -> None:
        top, base = self.y(height), self.y(0)
        self.parts.append(
            f'<rect x="{self.x(x0):.1f}" y="{top:.1f}" width="{self.x(x1) - self.x(x0):.1f}" '
            f'height="{base - top:.1f}" fill="{colour}" fill-opacity="0.8"/>'
        )

    def legend(self, entries: Sequence[tuple[str, str]]) -> None:
        for i, (label, colour) in enumerate(entries):
            y = TOP + 8 + 16 * i
            self.parts.append(
                f'<rect x="{WIDTH - RIGHT - 150}" y="{y - 9}" width="10" height="10" '
                f'fill="{colour}"/><text x="{WIDTH - RIGHT - 134}" y="{y}">{escape(label)}</text>'
            )

    def svg(self) -> str:
        body = "\n".join(self.parts)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">\n'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>\n{body}\n</svg>\n'
        )


def roc_svg(result: EvaluationResult) -> str:
    chart = Chart("ROC curve", "false-positive rate", "true-positive rate", 1.0, 1.0)
    chart.axes([(t / 5, f"{t / 5:g}") for t in range(6)], [t / 5 for t in range(6)])
    chart.line([(0.0, 0.0), (1.0, 1.0)], GRID, dash=True)
    points = roc_curve(result.scores, result.positives)
    if points:
        chart.line(points, POSITIVE)
    return chart.svg()


def lift_svg(result: EvaluationResult) -> str:
    curve = lift_curve(result.scores, result.positives)
    top = max([value for _, value in curve] + [1.0])
    chart = Chart("Cumulative lift by decile", "share of customers, highest scores first",
                  "lift over the base rate", 1.0, top * 1.1)  # fmt: skip
    chart.axes([(s / 10 - 0.05, f"{s * 10}%") for s in range(1, 11)], _ticks(top * 1.1))
    for share, value in curve:
        chart.bar(share - 0.09, share - 0.01, value, NEGATIVE)
    chart.line([(0.0, 1.0), (1.0, 1.0)], LINE, dash=True)
    return chart.svg()


def lead_svg(result: EvaluationResult) -> str:
    counts = histogram(result.lead_days, LEAD_EDGES)
    top = max([*counts, 1]) * 1.1
    chart = Chart("Lead time: first alert to churn", "days before churning (last bar: longer)",
                  "churners", LEAD_EDGES[-1], top)  # fmt: skip
    chart.axes([(e, str(e)) for e in LEAD_EDGES], _ticks(top))
    for (low, high), count in zip(pairwise(LEAD_EDGES), counts, strict=True):
        chart.bar(low, high - 0.4, count, POSITIVE)
    return chart.svg()


def scores_svg(result: EvaluationResult) -> str:
    shares = {}
    for label, wanted in (("churned", True), ("stayed", False)):
        values = [o.score for o in result.outcomes if o.positive == wanted]
        counts = histogram(values, SCORE_EDGES)
        shares[label] = [c / len(values) if values else 0.0 for c in counts]
    top = max(shares["churned"] + shares["stayed"] + [0.01])
    chart = Chart("Score distribution by outcome", "score as of --at",
                  "share of the group", 1.0, top * 1.1)  # fmt: skip
    chart.axes([(t / 10, f"{t / 10:g}") for t in range(0, 11, 2)], _ticks(top * 1.1))
    for i, low in enumerate(SCORE_EDGES[:-1]):
        chart.bar(low + 0.005, low + 0.05, shares["stayed"][i], NEGATIVE)
        chart.bar(low + 0.05, low + 0.095, shares["churned"][i], POSITIVE)
    chart.legend([("churned within the horizon", POSITIVE), ("stayed", NEGATIVE)])
    return chart.svg()


def _ticks(top: float) -> list[float]:
    step = max(top / 5, 1e-9)
    magnitude = 10 ** len(str(int(step))) / 10 if step >= 1 else 0.1
    nice = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= step)
    return [round(i * nice, 6) for i in range(int(top / nice) + 1)]


PLOTS = (
    ("roc.svg", "ROC curve", roc_svg),
    ("lift.svg", "Lift chart", lift_svg),
    ("lead_time.svg", "Lead-time histogram", lead_svg),
    ("scores.svg", "Score distribution by outcome", scores_svg),
)


def write_report(result: EvaluationResult, directory: Path) -> Path:
    """Write `report.md`, its SVG plots and `summary.json` into `directory`; returns the
    report's path."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, _, draw in PLOTS:
        (directory / name).write_text(draw(result), encoding="utf-8")
    summary = result.summary()
    (directory / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    report = directory / "report.md"
    report.write_text(markdown(result), encoding="utf-8")
    return report


def markdown(result: EvaluationResult) -> str:
    figures = result.summary()
    lines = [
        "# churnwatch evaluation",
        "",
        f"Model `{result.model}`, every customer scored as of {moment_text(result.at)}; "
        f"positives churn within {result.horizon_days} days of it. {result.stats.fed:,} events "
        f"replayed ({result.stats.ignored:,} after `--at` ignored).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| customers | {figures['customers']} ({result.gone} gone before, {result.not_seen} "
        f"not seen yet, {result.unlabelled} unlabelled ignored) |",
        f"| positives | {figures['positives']} |",
        f"| AUC | {_show(figures['auc'], '.3f')} |",
        f"| top-decile lift | {_show(figures['lift_top_decile'], '.2f')} |",
        f"| alerts per 1,000 customers per day | "
        f"{_show(figures['alerts_per_1000_per_day'], '.2f')} ({result.alerts} raised or "
        f"escalated over {result.customer_days:,.0f} customer-days) |",
        f"| median lead time | {_show(figures['median_lead_days'], '.1f')} days "
        f"({len(result.lead_days)} of {result.churners} churners alerted before leaving) |",
        "",
        *_level_table(result),
        "",
        *_top_signals(result),
    ]
    for name, title, _ in PLOTS:
        lines += [f"## {title}", "", f"![{title}]({name})", ""]
    return "\n".join(lines)


def _level_table(result: EvaluationResult) -> list[str]:
    by_level = precision_recall([o.level for o in result.outcomes], result.positives)
    rows = [
        "## Alert levels as of --at",
        "",
        "Customers at each level or above, from the score as of `--at`.",
        "",
        "| level | customers | positives among them | precision | recall |",
        "|---|---|---|---|---|",
    ]
    for level in ALERT_LEVELS:
        at_level = [o for o in result.outcomes if level_rank(o.level) >= level_rank(level)]
        hits = sum(1 for o in at_level if o.positive)
        precision, recall = by_level[level]
        rows.append(
            f"| {level} | {len(at_level)} | {hits} | {_show(precision, '.3f')} | "
            f"{_show(recall, '.3f')} |"
        )
    return rows


def _top_signals(result: EvaluationResult) -> list[str]:
    counts = Counter(o.top_signal or "(no signal)" for o in result.outcomes if o.positive)
    rows = ["## Positives by top reason as of --at", "", "| top reason | positives |", "|---|---|"]
    rows += [f"| {name} | {count} |" for name, count in counts.most_common()]
    return [*rows, ""]


def _show(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)
