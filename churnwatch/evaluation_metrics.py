"""Detection-quality figures on plain lists: AUC, ROC and lift curves, precision and recall per
alert level. Pure Python, no numpy.

Scores are often tied (a customer without any signal scores exactly the intercept), so every
figure treats ties fairly: the AUC counts a tied pair as half right, and a top share that cuts
through a group of equal scores takes that group's positives in proportion — the expected
value of breaking the tie at random, never an artefact of the customers' order.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Sequence

ALERT_LEVELS = ("medium", "high", "critical")
_RANK = {"none": 0, "medium": 1, "high": 2, "critical": 3}


def auc(scores: Sequence[float], positives: Sequence[bool]) -> float | None:
    """The probability that a random positive scores above a random negative (ties: half);
    None without positives or without negatives."""
    n_pos = sum(1 for p in positives if p)
    n_neg = len(positives) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    rank_sum = 0.0
    rank = 1
    for group in _groups_ascending(scores, positives):
        size = len(group)
        midrank = rank + (size - 1) / 2.0
        rank_sum += midrank * sum(1 for p in group if p)
        rank += size
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def _groups_ascending(scores: Sequence[float], positives: Sequence[bool]) -> Iterator[list[bool]]:
    """The outcomes grouped by equal score, lowest score first."""
    pairs = sorted(zip(scores, positives, strict=True), key=lambda pair: pair[0])
    group: list[bool] = []
    current: float | None = None
    for score, positive in pairs:
        if current is not None and score != current:
            yield group
            group = []
        current = score
        group.append(positive)
    if group:
        yield group


def _groups_descending(scores: Sequence[float], positives: Sequence[bool]) -> list[tuple[int, int]]:
    """(customers, positives) per group of equal score, highest score first."""
    return [(len(g), sum(1 for p in g if p)) for g in _groups_ascending(scores, positives)][::-1]


def roc_curve(scores: Sequence[float], positives: Sequence[bool]) -> list[tuple[float, float]]:
    """(false-positive rate, true-positive rate) at every distinct score, from (0, 0) to
    (1, 1); empty without positives or without negatives."""
    n_pos = sum(1 for p in positives if p)
    n_neg = len(positives) - n_pos
    if n_pos == 0 or n_neg == 0:
        return []
    points = [(0.0, 0.0)]
    tp = fp = 0
    for size, pos in _groups_descending(scores, positives):
        tp += pos
        fp += size - pos
        points.append((fp / n_neg, tp / n_pos))
    return points


def positives_in_top(scores: Sequence[float], positives: Sequence[bool], share: float) -> float:
    """Expected positives among the top `share` of customers by score (ties cut in
    proportion)."""
    room = share * len(scores)
    found = 0.0
    for size, pos in _groups_descending(scores, positives):
        if room <= 0:
            break
        taken = min(size, room)
        found += pos * taken / size
        room -= taken
    return found


def lift(scores: Sequence[float], positives: Sequence[bool], share: float = 0.1) -> float | None:
    """How many times the base rate the positive rate is among the top `share` by score."""
    n = len(scores)
    n_pos = sum(1 for p in positives if p)
    if n == 0 or n_pos == 0 or share <= 0:
        return None
    top_rate = positives_in_top(scores, positives, share) / (share * n)
    return top_rate / (n_pos / n)


def lift_curve(
    scores: Sequence[float], positives: Sequence[bool], steps: int = 10
) -> list[tuple[float, float]]:
    """Cumulative lift at each tenth (by default) of the customers ranked by score."""
    points = []
    for step in range(1, steps + 1):
        value = lift(scores, positives, step / steps)
        if value is not None:
            points.append((step / steps, value))
    return points


def level_rank(level: str) -> int:
    return _RANK[level]


def precision_recall(
    levels: Sequence[str], positives: Sequence[bool]
) -> dict[str, tuple[float | None, float | None]]:
    """Per alert level, over the customers at that level or above: (precision, recall).
    Precision is None when nobody reaches the level, recall when there is no positive."""
    n_pos = sum(1 for p in positives if p)
    figures: dict[str, tuple[float | None, float | None]] = {}
    for level in ALERT_LEVELS:
        floor = _RANK[level]
        flagged = [p for lv, p in zip(levels, positives, strict=True) if _RANK[lv] >= floor]
        hits = sum(1 for p in flagged if p)
        precision = hits / len(flagged) if flagged else None
        recall = hits / n_pos if n_pos else None
        figures[level] = (precision, recall)
    return figures


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def histogram(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    """Counts per bin [edges[i], edges[i + 1]); the last bin also takes values at or above
    its upper edge, the first those below its lower edge."""
    counts = [0] * (len(edges) - 1)
    for value in values:
        index = 0
        while index < len(counts) - 1 and value >= edges[index + 1]:
            index += 1
        counts[index] += 1
    return counts
