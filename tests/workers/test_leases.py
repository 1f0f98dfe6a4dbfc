"""The leased-work mechanism every engine uses: a dead worker loses its rows within a minute, a live one
keeps them through a slow call, and a worker writes back only what it still holds."""

from __future__ import annotations

import time

from sqlalchemy import select

from fleetops import clock
from fleetops.clock import ManualClock
from fleetops.flow import FaultOwner, Finding, FindingSeverity
from fleetops.remediation import service
from fleetops.remediation.claim import QUEUE, Limits, R, _due, claim
from fleetops.remediation.models import RemediationRun
from fleetops.remediation.work import Work
from fleetops.workers.leases import LEASE_S, Heartbeat


def _one_run(database, at) -> int:
    finding = Finding(
        "b000", "xid", FindingSeverity.CRITICAL, FaultOwner.HARDWARE, at, "", gpu_index=0, xid=79
    )
    with database.transaction() as session:
        [run_id] = service.receive_findings(session, [finding]).created
    return run_id


def _owner(database, run_id: int) -> str | None:
    with database.transaction() as session:
        return session.scalar(select(R.c.lease_owner).where(R.c.id == run_id))


def _claim(database, owner: str, lease_s: float = LEASE_S) -> bool:
    with database.transaction() as session:
        return QUEUE.claim(session, _due(clock.now(), 10), owner, lease_s)


def test_a_dead_workers_rows_go_to_another_within_a_minute(fleet, manual_clock: ManualClock):
    run_id = _one_run(fleet, manual_clock.now())
    assert _claim(fleet, "worker-a") and _owner(fleet, run_id) == "worker-a"
    assert not _claim(fleet, "worker-b")  # held
    manual_clock.advance(LEASE_S + 1)  # worker-a died: nobody renewed
    assert _claim(fleet, "worker-b") and _owner(fleet, run_id) == "worker-b"
    assert LEASE_S <= 60 and Limits().lease_s == LEASE_S


def test_a_live_worker_keeps_its_rows_through_a_slow_call(fleet):
    run_id = _one_run(fleet, clock.now())
    # A lease of 1.2 s renewed every 0.4 s: wide enough that a renewal delayed by a loaded machine (load
    # 10 on 2 cores took 0.3 s leases past their end) is still in time, short enough for a unit test.
    assert _claim(fleet, "worker-a", lease_s=1.2)
    with Heartbeat(fleet, QUEUE, "worker-a", lease_s=1.2):
        time.sleep(2.5)  # a BMC that takes longer than the lease
        assert not _claim(fleet, "worker-b", lease_s=1.2)
    assert _owner(fleet, run_id) == "worker-a"
    time.sleep(1.5)  # no heartbeat any more: the lease runs out
    assert _claim(fleet, "worker-b")


def test_a_worker_writes_back_only_rows_it_still_holds(fleet, manual_clock: ManualClock):
    run_id = _one_run(fleet, manual_clock.now())
    with fleet.transaction() as session:
        [row] = claim(session, "worker-a", manual_clock.now(), Limits())
    manual_clock.advance(LEASE_S + 1)
    assert _claim(fleet, "worker-b")
    work = Work(row, manual_clock.now(), "test")
    work.values["last_error"] = "written by a worker that lost its lease"
    with fleet.transaction() as session:
        assert QUEUE.write(session, [work], "worker-a", keep=lambda w: False) == []
        assert session.get(RemediationRun, run_id).last_error is None
