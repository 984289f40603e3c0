"""`python -m tests.support.offline_outputs CUSTOMERS [--everything]`: a seeded simulation run
through the offline engine, its alerts, tasks and final customer states printed as JSON lines,
so that two builds of the hot path (compiled, Python source) can be compared byte for byte.
`--everything` runs a policy with every feature on, weighted, in the `zh` locale: the code
the default policy leaves alone."""

from __future__ import annotations

import sys

import orjson

from config.policy import Policy, policy_from_dict
from sim.population import SimConfig, simulate
from streams.calendar import Calendar
from streams.features import FEATURE_IDS
from streams.offline import OfflineRunner
from tests.support.live import as_record


def everything() -> Policy:
    return policy_from_dict(
        {
            "signals": {feature: {"enabled": True} for feature in FEATURE_IDS},
            "score": {"weights": dict.fromkeys(FEATURE_IDS, 2)},
            "locale": "zh",
        }
    )


def outputs(customers: int, policy: Policy) -> list[bytes]:
    _, records = simulate(SimConfig(customers=customers, days=120, seed=7))
    runner = OfflineRunner(policy, Calendar())
    result = runner.run(as_record(r.topic, r.value, r.key) for r in records)
    states = [s for engine in runner.engines.values() for s in engine.states.values()]
    return [
        *(orjson.dumps(alert.to_wire(0)) for alert in result.alerts),
        *(orjson.dumps(task.to_wire()) for task in result.tasks),
        *(state.to_json() for state in sorted(states, key=lambda s: s.customer_id)),
    ]


if __name__ == "__main__":
    chosen = everything() if "--everything" in sys.argv else Policy()
    sys.stdout.buffer.write(b"\n".join(outputs(int(sys.argv[1]), chosen)) + b"\n")
