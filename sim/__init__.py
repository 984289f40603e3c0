"""Simulator: a seeded, deterministic population of mobile customers.

It produces the contract's input events (`telecom.cdr`, `telecom.billing`, `telecom.crm`)
in event-time order, together with the ground truth of who churns, when, along which path
and which signal should explain it. Used by the demo, the tests, the benchmark and
`churnwatch evaluate`.

- `sim.population`: `SimConfig`, `simulate()`, `GroundTruth`, `SimRecord`, `write_truth_csv()`
  (pure generation; the CSV writer is the only I/O).
- `sim.produce`: `produce()` records to Kafka (confluent-kafka, murmur2 partitioning).
- `sim.export`: `write_jsonl()` in the `churnwatch replay` format.
- `python -m sim --help`: files, Kafka and a speed check from the command line.

Internals: `sim.profiles` (who customers are), `sim.paths` (churn stories),
`sim.customer` (one customer's day-by-day events), `sim.clock`, `sim.numbers`.
"""

from sim.model import ALL_PATHS, DEFAULT_PATHS, EXTRA_PATHS, GroundTruth, SimConfig, SimRecord
from sim.population import simulate, write_truth_csv

__all__ = [
    "ALL_PATHS",
    "DEFAULT_PATHS",
    "EXTRA_PATHS",
    "GroundTruth",
    "SimConfig",
    "SimRecord",
    "simulate",
    "write_truth_csv",
]
