"""Write simulated records in the replay format of `churnwatch replay` / `evaluate`.

One JSON object per line: `{"topic": ..., "key": ..., "value": {...}}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike

import orjson

from sim.model import SimRecord


def replay_line(record: SimRecord) -> bytes:
    """One JSONL line (with the trailing newline) for a record."""
    line = orjson.dumps({"topic": record.topic, "key": record.key, "value": record.value})
    return line + b"\n"


def write_jsonl(records: Iterable[SimRecord], path: str | PathLike[str]) -> int:
    """Write records to `path` in the replay format; returns how many were written."""
    written = 0
    with open(path, "wb") as handle:
        for record in records:
            handle.write(replay_line(record))
            written += 1
    return written
