"""State size per customer at steady state, for `churnwatch bench`.

The throughput workload covers only the first days of history, so the state the worker wrote
for it is young. This runs the offline engine (the worker's own domain code, no broker) over a
sample of the same seeded population for long enough that every horizon is full, and measures
`CustomerState.to_bytes()` — the exact bytes the worker writes to its changelog — per customer.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from config.policy import Policy
from sim.model import SimConfig
from streams.calendar import Calendar
from streams.offline import OfflineRunner, ReplayRecord

# Longer than every state horizon that matters for size (63 days of daily usage).
STEADY_DAYS = 120


@dataclass(frozen=True)
class StateSizes:
    customers: int
    days: int
    sizes: list[int]  # bytes per customer, ascending


def steady_state_sizes(customers: int, seed: int, days: int = STEADY_DAYS) -> StateSizes:
    from sim.population import simulate

    _truths, records = simulate(SimConfig(customers=customers, days=days, seed=seed))
    runner = OfflineRunner(Policy(), Calendar())
    for record in records:
        runner.feed(ReplayRecord(record.topic, record.key, orjson.dumps(record.value)))
    sizes = sorted(
        len(state.to_bytes())
        for engine in runner.engines.values()
        for state in engine.states.values()
    )
    return StateSizes(customers, days, sizes)
