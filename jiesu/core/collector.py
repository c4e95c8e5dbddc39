"""Python's cyclic garbage collector tuned for bulk work (an import, the demo set-up).

Such work keeps tens of thousands of young objects alive at once (a batch of rows, their model instances)
next to a large long-lived heap (reference data, a classifier, memos). At Python's default first threshold
(700) the young objects are scanned over and over and promoted, and every few thousand rows a full
collection walks the whole long-lived heap. Measured: 11–12 µs of GC per imported ticket (1.7 µs tuned),
15 % of `jiesu setup`'s CPU.
"""
from __future__ import annotations

import gc
import time
from contextlib import contextmanager

YOUNG_GC_THRESHOLD = 100_000  # the first threshold while tuned (Python's default is 700)
_depth = [0]  # quiet_gc blocks open in this process: only the outermost tunes and restores


@contextmanager
def quiet_gc(timings=None):
    """The collector tuned for a bulk run, then as it was (also after an error): what lives now is frozen (the
    collector stops re-scanning it) and young collections are rarer. Cycles are still collected, only less
    often. With ``timings`` (a Counter), the seconds the collector takes are added up in
    ``timings["gc.cyclic"]``: they are part of whatever ran meanwhile. A block inside another (a rebuild
    inside the set-up) leaves the tuning to the outer one: unfreezing would thaw the outer block's heap."""
    clock = None
    if timings is not None:
        started = [0.0]

        def clock(phase, info):
            if phase == "start":
                started[0] = time.perf_counter()
            else:
                timings["gc.cyclic"] += time.perf_counter() - started[0]

        gc.callbacks.append(clock)
    outermost = _depth[0] == 0
    _depth[0] += 1
    if outermost:
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(YOUNG_GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        _depth[0] -= 1
        if outermost:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
        if clock is not None:
            gc.callbacks.remove(clock)
