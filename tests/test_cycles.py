"""The collector pause is process-wide, so overlapping pauses (ingest and an import in two threads) must
leave the collector paused until the last one ends, then as it was before the first."""

from __future__ import annotations

import gc
import threading

from fleetops.cycles import collector_paused, settled


def test_overlapping_pauses_restore_the_collector_when_the_last_ends() -> None:
    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def import_in_another_thread() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    other = threading.Thread(target=import_in_another_thread)
    with collector_paused():
        other.start()
        inside.wait(5)
    assert not gc.isenabled()  # the first pause ended, the other thread's has not
    release.set()
    other.join(5)
    assert gc.isenabled()


def test_a_pause_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_a_settled_process_holds_is_out_of_the_collectors_passes() -> None:
    kept = [[] for _ in range(100)]  # what a process keeps for life
    assert gc.get_freeze_count() == 0
    try:
        settled()
        assert gc.get_freeze_count() >= len(kept)
        assert not any(gc.is_tracked(x) and x in gc.get_objects(generation=2) for x in kept[:3])
    finally:
        gc.unfreeze()
