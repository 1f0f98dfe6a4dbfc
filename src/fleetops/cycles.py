"""Python's cycle collector: paused during bulk work that allocates millions of cycle-free objects, and
kept off what a long-running process loads once.

Its full passes walk every live object: 30 % of the CPU of a 20,000-node import, ~8 % of report ingest
(callgrind, groups of 16), ~100 ms of the 100,000-node landing page. The objects hold no cycles, so
reference counting frees them either way. The pause is process-wide, so it is counted: the collector
comes back, as it was, when the last of the overlapping pauses (ingest and an import in two threads)
ends, not when the first does.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


def settled() -> None:
    """Once a long-running process (`serve`, an API process, `worker`) has loaded what it keeps for life
    (modules, the ORM's mappers, the routes, the templates), take it out of the collector's full passes:
    each pass walked all of it again, and the passes due after a pause landed on whichever request came
    next (the 100,000-node landing page: p95 370-383 ms against a 218-237 ms median, every slow request one
    with collections; frozen, p95 257 ms). What is frozen is never collected: it is only what lives as long
    as the process."""
    gc.freeze()
