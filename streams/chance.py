"""How likely a quiet spell is by chance, at the customer's own baseline.

A light user's week of one call after a month of one a day is ordinary luck; a heavy user's
week at half their steady rate is not. Signals that read a drop or a silence ask these
functions how probable what they observed is if nothing changed, and fire only below the
policy's significance level.
"""

from __future__ import annotations

import math
from itertools import pairwise


def low_total_chance(
    observed: float, recent_days: int, baseline: list[int], scale: float = 1.0
) -> float:
    """The probability that `recent_days` days at the rate and day-to-day spread of `baseline`
    (each day's usage, in order; `scale` times both when the whole population moved) add up
    to no more than `observed`, taking the sum of those days as normal (fair when those days
    hold many events; `few_events_chance` is the test for few)."""
    n = len(baseline)
    if n < 2:
        return 1.0
    expected = recent_days * sum(baseline) / n * scale
    spread = math.sqrt(recent_days * _day_to_day_variance(baseline)) * scale
    if spread <= expected * 1e-9:  # the same every day: any shortfall is a change
        return 0.0 if observed < expected * (1 - 1e-9) else 1.0
    return 0.5 * math.erfc((expected - observed) / spread / math.sqrt(2.0))


def few_events_chance(
    observed: int, recent_days: int, baseline: list[int], scale: float = 1.0
) -> float:
    """The probability of no more than `observed` events in `recent_days` days at the rate of
    `baseline` (events on each day, in order): Poisson, or negative binomial when the days
    are clumpier than Poisson's (a week with none is likelier for a customer who makes seven
    calls on a Saturday than for one who makes one a day)."""
    n = len(baseline)
    mean = sum(baseline) / n if n else 0.0
    expected = recent_days * mean * scale
    if expected <= 0:
        return 1.0
    spread = max(1.0, _day_to_day_variance(baseline) / mean)
    return _at_most(observed, expected, spread)


def irregular(days: list[int]) -> bool:
    """Whether events come at random from day to day rather than like clockwork (day-to-day
    variance at least a tenth of their mean; Poisson's is its mean, a coin toss a day's half
    of it): only then does a week's volume depend on how many of them fell in it by chance."""
    mean = sum(days) / len(days) if days else 0.0
    return mean > 0 and _day_to_day_variance(days) >= 0.1 * mean


def _day_to_day_variance(days: list[int]) -> float:
    """Half the mean squared step between successive days (von Neumann's estimator): day-to-day
    noise, which a fade already under way inside the baseline does not pass for."""
    if len(days) < 2:
        return 0.0
    steps = sum((b - a) * (b - a) for a, b in pairwise(days))
    return steps / (2.0 * (len(days) - 1))


def _at_most(observed: int, expected: float, spread: float) -> float:
    """P(X <= observed) for a count of mean `expected` and variance `spread` x `expected`."""
    if observed < 0:
        return 0.0
    if spread <= 1.0 + 1e-9:  # Poisson
        log_term, log_q, r = -expected, 0.0, 0.0
    else:  # negative binomial: p = 1/spread, r = mean / (spread - 1)
        r = expected / (spread - 1.0)
        log_term, log_q = r * math.log(1.0 / spread), math.log1p(-1.0 / spread)
    total = 0.0
    for x in range(observed + 1):
        if x:
            step = math.log(expected / x) if r == 0.0 else math.log((x - 1 + r) / x) + log_q
            log_term += step
        total += math.exp(log_term)
        if total >= 1.0:
            return 1.0
    return total


def idle_run_chance(days: int, active_share: float) -> float:
    """The probability of `days` idle days in a row for a customer active on `active_share` of
    their days, each day taken on its own."""
    return (1.0 - min(max(active_share, 0.0), 1.0)) ** days
