"""Durable engine state on a Faust table: hot state lives in the engines as objects; the table
(memory store, recovered from its changelog topic) holds the serialised copy."""

from __future__ import annotations

from typing import Any

from agents.pipeline import clock_key
from streams.engine import PartitionClock
from streams.state import CustomerState
from topics.partitioning import partition_for


class TableStore:
    """Reads a partition's customers back from the table after recovery; writes changes."""

    def __init__(self, table: Any, partitions: int) -> None:
        self.table = table
        self.partitions = partitions

    def load(self, partition: int) -> tuple[list[CustomerState], PartitionClock | None]:
        data = self.table.data
        raw_clock = data.get(clock_key(partition))
        clock = PartitionClock.from_bytes(raw_clock) if raw_clock is not None else None
        states = [
            CustomerState.from_bytes(value)
            for key, value in list(data.items())
            if not key.startswith(b"\x00")
            and partition_for(key.decode(), self.partitions) == partition
        ]
        return states, clock

    async def write(self, partition: int, key: bytes, value: bytes) -> Any:
        """Changelog first, then the local store; returns the delivery future."""
        fut = await self.table.changelog_topic.send(
            key=key, value=value, partition=partition, force=True
        )
        self._put_local(partition, key, value)
        return fut

    def _put_local(self, partition: int, key: bytes, value: bytes) -> None:
        data = self.table.data
        db_for_partition = getattr(data, "_db_for_partition", None)
        if db_for_partition is None:
            data[key] = value  # memory store: a plain mapping
            return
        # RocksDB keeps one database per partition and picks it from the "current event",
        # which a batch does not have: name the partition ourselves.
        db_for_partition(partition).put(key, value)
        data._key_index[key] = partition
