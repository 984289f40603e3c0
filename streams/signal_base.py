"""What every churn signal returns, and the small helpers they share to turn an observation
into a strength and a sentence."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signal:
    id: str
    strength: float
    value: float
    detail: str


def ramp(x: float, start: float, full: float) -> float:
    """0.5 at `start`, rising linearly to 1.0 at `full`: a signal that just fires is half-strong.
    `full` below `start` ramps the other way (a share that falls as the risk rises)."""
    if full == start:
        return 1.0
    return max(0.5, min(1.0, 0.5 + 0.5 * (x - start) / (full - start)))


def days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 complaint`, `2 complaints`."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def money(amount: float) -> str:
    return f"{amount:.2f}"
