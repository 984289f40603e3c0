"""`python -m tests.support.offline_outputs CUSTOMERS`: a seeded simulation run through the
offline engine, its alerts, tasks and final customer states printed as JSON lines, so that two
builds of the hot path (compiled, Python source) can be compared byte for byte."""

from __future__ import annotations

import sys

import orjson

from config.policy import Policy
from sim.population import SimConfig, simulate
from streams.calendar import Calendar
from streams.offline import OfflineRunner, ReplayRecord


def outputs(customers: int) -> list[bytes]:
    _, records = simulate(SimConfig(customers=customers, days=120, seed=7))
    runner = OfflineRunner(Policy(), Calendar())
    result = runner.run(ReplayRecord(r.topic, r.key, orjson.dumps(r.value)) for r in records)
    states = [s for engine in runner.engines.values() for s in engine.states.values()]
    return [
        *(orjson.dumps(alert.to_wire(0)) for alert in result.alerts),
        *(orjson.dumps(task.to_wire()) for task in result.tasks),
        *(state.to_json() for state in sorted(states, key=lambda s: s.customer_id)),
    ]


if __name__ == "__main__":
    sys.stdout.buffer.write(b"\n".join(outputs(int(sys.argv[1]))) + b"\n")
