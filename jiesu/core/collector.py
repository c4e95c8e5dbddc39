"""Python's cyclic garbage collector tuned for bulk work (an import, the demo set-up).

Such work keeps tens of thousands of young objects alive at once (a batch of rows, their model instances)
next to a large long-lived heap (reference data, a classifier, memos). At Python's default first threshold
(700) the young objects are scanned over and over and promoted, and every few thousand rows a full
collection walks the whole long-lived heap. Measured: 11–12 µs of GC per imported ticket (1.7 µs tuned),
15 % of `jiesu setup`'s CPU.
"""
from __future__ import annotations

import gc
import signal
import threading
import time
from contextlib import contextmanager

YOUNG_GC_THRESHOLD = 100_000  # the first threshold while tuned (Python's default is 700)
DEFERRED_SIGNALS = (signal.SIGINT, signal.SIGUSR1)  # Ctrl-C; the parallel import's stop (importer CHILD_STOP)
REDELIVER_SECONDS = 0.02
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
        restore_signals = _signals_outside(clock.__code__)
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
            restore_signals()


def _signals_outside(code):
    """Keep Ctrl-C (and the import's stop signal) from being handled inside `code`, a collector's callback: the
    collector ignores its callbacks' errors, so the KeyboardInterrupt a handler raises there would be lost and
    an import would run on to its end (audit 7). Such a signal is delivered again a moment later, to the code
    the collection interrupted. Returns what puts the handlers back. Only the main thread may set handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    wrapped = {}
    for signum in DEFERRED_SIGNALS:
        handler = signal.getsignal(signum)
        if callable(handler):
            wrapped[signum] = _deferring(handler, code)
            signal.signal(signum, wrapped[signum])

    def restore():
        for signum, wrapper in wrapped.items():
            if signal.getsignal(signum) is wrapper:
                signal.signal(signum, wrapper.handler)
    return restore


def _deferring(handler, code):
    def deferring(signum, frame):
        if _runs_in(frame, code):
            threading.Timer(REDELIVER_SECONDS, signal.raise_signal, (signum,)).start()
            return
        handler(signum, frame)
    deferring.handler = handler
    return deferring


def underlying(handler):
    """The signal handler a collector's wrapper stands for (itself when it is none)."""
    return getattr(handler, "handler", handler)


def _runs_in(frame, code):
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False
