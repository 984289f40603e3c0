"""`topics.partitioning` must pick the partition Kafka's default partitioner picks."""

from __future__ import annotations

import random

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from topics.partitioning import murmur2, partition_for


def _keys() -> list[str]:
    """Customer-id-like keys plus random ones of every length 0..40 (all murmur2 tail cases)."""
    rng = random.Random(20260301)
    alphabet = "abcXYZ0123456789-_:/ é客户"
    keys = [f"C{i:06d}" for i in range(0, 300_000, 1_000)]
    keys += ["".join(rng.choices(alphabet, k=rng.randrange(0, 41))) for _ in range(200)]
    return keys


KEYS = _keys()


def test_known_value() -> None:
    assert partition_for("C000123", 8) == 1


@pytest.mark.parametrize(
    ("key", "java_hash"),
    [
        # org.apache.kafka.common.utils.UtilsTest#testMurmur2 (signed Java ints)
        ("21", -973932308),
        ("foobar", -790332482),
        ("a-little-bit-long-string", -985981536),
        ("a-little-bit-longer-string", -1486304829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
        ("abc", 479470107),
    ],
)
def test_murmur2_matches_the_java_client(key: str, java_hash: int) -> None:
    assert murmur2(key.encode()) == java_hash & 0xFFFFFFFF


def test_murmur2_matches_aiokafka() -> None:
    assert len(KEYS) >= 300
    for key in KEYS:
        data = key.encode()
        assert murmur2(data) == aiokafka_murmur2(data) & 0xFFFFFFFF, key


@pytest.mark.parametrize("partitions", [1, 3, 8, 12, 64])
def test_partition_for_matches_aiokafka_default_partitioner(partitions: int) -> None:
    all_partitions = list(range(partitions))
    for key in KEYS:
        expected = DefaultPartitioner()(key.encode(), all_partitions, all_partitions)
        assert partition_for(key, partitions) == expected, key


def test_partition_in_range_and_keys_spread() -> None:
    chosen = [partition_for(key, 8) for key in KEYS]
    assert all(0 <= p < 8 for p in chosen)
    assert set(chosen) == set(range(8))
