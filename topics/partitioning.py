"""Kafka's default partitioner (murmur2 of the key bytes), as the contract requires.

The worker uses it to know which partition a customer's state belongs to without asking the
broker; it must agree with Java clients, aiokafka's default and librdkafka's `murmur2_random`.
"""

from __future__ import annotations

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (seed 0x9747b28c), as a signed-free 32-bit value."""
    length = len(data)
    h = (0x9747B28C ^ length) & _MASK
    full = length - (length % 4)
    for i in range(0, full, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length % 4
    if tail == 3:
        h ^= data[full + 2] << 16
    if tail >= 2:
        h ^= data[full + 1] << 8
    if tail >= 1:
        h ^= data[full]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


def partition_for(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner picks for `key`."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions
