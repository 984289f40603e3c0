"""Garbage collection for a heap of long-lived customer states.

A worker holds every customer's state in memory: tens of objects each, alive for months. The
cyclic collector's full collections walk all of them, and by default they come whenever the
old generation has grown by a quarter, which a worker whose customers' days roll over does
every few flushes. Measured over the benchmark workload (10k customers, 200k events), they
took 11% of the CPU and stalled the worker up to 390 ms at a time, with 10k customers; the
walk grows with the customers.

So after each flush, once what survived is on the changelog, the survivors are frozen:
young garbage is still collected as usual, and the states are no longer walked. Freezing
never keeps an object alive that reference counting would free (states hold no cycles); what
it can keep is a cycle that was frozen before it became garbage, so every `full_every_s` the
heap is unfrozen and collected whole.

Between two freezes the young collections still walk what survives them: the day buckets,
facts and ids that events add to states. At CPython's default (a collection every 700 new
container objects) the benchmark's worker ran ~1,000 young, ~95 middle and ~7 full
collections, 1.2 s in all, of ~17 s of CPU; a young collection every `YOUNG_OBJECTS` ran 25,
4 and none, ~0.46 s, each young pause ~10 ms (see `Heap.adopt`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import Histogram

FULL_EVERY_S = 3600.0
# A batch allocates tens of thousands of short-lived containers, nearly all freed by reference
# counting; collecting after every 700 of them mostly re-walks the batch's survivors.
YOUNG_OBJECTS = 20_000


class Heap:
    def __init__(
        self, full_every_s: float = FULL_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.full_every_s, self.clock = full_every_s, clock
        self.last_full = clock()

    def adopt(self) -> tuple[int, ...]:
        """Collect the young generation every `YOUNG_OBJECTS` new objects, not every 700;
        returns the thresholds it replaced (for `gc.set_threshold`, when the worker stops)."""
        before = gc.get_threshold()
        gc.set_threshold(YOUNG_OBJECTS, *before[1:])
        return before

    def settle(self) -> None:
        """Collect the young generations, then freeze whatever is left (once in a while:
        collect everything first)."""
        now = self.clock()
        if now - self.last_full >= self.full_every_s:
            gc.unfreeze()
            gc.collect()
            self.last_full = now
        else:
            gc.collect(1)
        gc.freeze()


GcCallback = Callable[[str, dict[str, Any]], None]


def watch_pauses(pauses: Histogram) -> GcCallback:
    """Observe every collection's wall time in `pauses` (labelled by generation) from now on;
    returns the callback, for `gc.callbacks.remove`."""
    started = [0.0]

    def observe(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.labels(str(info["generation"])).observe(time.perf_counter() - started[0])

    gc.callbacks.append(observe)
    return observe
