"""The collector pause is process-wide, so overlapping pauses (ingest and an import in two threads) must
leave the collector paused until the last one ends, then as it was before the first."""

from __future__ import annotations

import gc
import threading

from fleetops.cycles import collector_paused


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
