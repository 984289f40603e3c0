"""Garbage collection around flushes: survivors frozen, cycles still collected in time."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Histogram

from agents.heap import YOUNG_OBJECTS, Heap, watch_pauses


class _Node:
    def __init__(self) -> None:
        self.peer: _Node | None = None


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def _cycle() -> weakref.ref[_Node]:
    a, b = _Node(), _Node()
    a.peer, b.peer = b, a
    return weakref.ref(a)


def test_what_survives_a_settle_is_frozen() -> None:
    survivor = [_Node() for _ in range(10)]
    Heap(clock=lambda: 0.0).settle()
    assert gc.get_freeze_count() >= len(survivor)


def test_young_cyclic_garbage_is_collected_before_the_freeze() -> None:
    garbage = _cycle()
    Heap(clock=lambda: 0.0).settle()
    assert garbage() is None


def test_a_frozen_cycle_that_became_garbage_goes_at_the_next_full_collection() -> None:
    now = [0.0]
    heap = Heap(full_every_s=60.0, clock=lambda: now[0])
    a, b = _Node(), _Node()
    a.peer, b.peer = b, a
    heap.settle()  # frozen while alive
    frozen = weakref.ref(a)
    del a, b
    heap.settle()
    assert frozen() is not None  # the young collection does not look at it
    now[0] = 60.0
    heap.settle()
    assert frozen() is None


def test_every_collection_is_timed_by_generation() -> None:
    registry = CollectorRegistry()
    pauses = Histogram("pauses_seconds", "test", ["generation"], registry=registry)
    watch = watch_pauses(pauses)
    try:
        gc.collect(0)
        gc.collect()
    finally:
        gc.callbacks.remove(watch)
    for generation in ("0", "2"):
        count = registry.get_sample_value("pauses_seconds_count", {"generation": generation})
        assert count is not None and count >= 1


def test_adopt_spaces_young_collections_and_returns_what_it_replaced() -> None:
    before = gc.get_threshold()
    try:
        assert Heap().adopt() == before
        assert gc.get_threshold() == (YOUNG_OBJECTS, *before[1:])
    finally:
        gc.set_threshold(*before)
