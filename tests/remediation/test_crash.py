"""Crash safety, people taking nodes back, and executor failures: nothing repeated, skipped or dropped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fleetops import clock
from fleetops.auth.principal import SYSTEM
from fleetops.flow import Finding
from fleetops.remediation import service
from fleetops.remediation.choices import RunState
from fleetops.remediation.engine import Engine
from fleetops.remediation.models import RemediationRun
from fleetops.wire import FaultOwner, Severity

from .conftest import make_bed

ROOT = Path(__file__).resolve().parents[2]


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing in the engine may catch it."""


def _crash_after(obj, name: str):
    """Make `obj.name` do its work, then kill the worker before it can write anything back."""
    real = getattr(obj, name)

    def crashing(*args, **kwargs):
        real(*args, **kwargs)
        setattr(obj, name, real)
        raise WorkerKilled(name)

    setattr(obj, name, crashing)


def _new_worker(bed) -> Engine:
    return Engine(bed.world.executors(), verifier=bed.world.verifier, safety=bed.engine.safety)


@pytest.mark.parametrize("stage", ["drain", "restart"])
def test_crash_mid_step_resumes_without_repeating_or_skipping(bed, stage):
    [run_id] = bed.finding("b000", xid=79)
    if stage == "drain":
        _crash_after(bed.world.scheduler, "drain")
    else:
        bed.engine.tick(bed.database)  # drained; the restart comes next
        bmc = bed.world.bmc("https://bmc-b000")
        _crash_after(bmc, "reset")
    with pytest.raises(WorkerKilled):
        bed.play(15)
    bed.engine = _new_worker(bed)  # another worker; the dead one's lease must expire first
    bed.play(4 * 60)
    assert bed.run(run_id).lease_owner is None or bed.run(run_id).state is not RunState.PENDING
    bed.play(20 * 60)
    run = bed.run(run_id)
    assert run.state is RunState.RESOLVED
    assert bed.world.scheduler.count("drain", "b000") == 1
    assert bed.world.resets("b000") == ["GracefulRestart"]
    assert bed.actions_done(run_id) == ["drain", "reboot_node", "verify"]


def test_a_person_uncordoning_the_node_cancels_the_run(bed):
    [run_id] = bed.finding("b001", xid=79)
    bed.play(30)
    assert bed.run(run_id).state is RunState.ACTING
    bed.world.scheduler.nodes["b001"] = "in_service"  # `scontrol update state=resume` by a person
    bed.play(120)
    run = bed.run(run_id)
    assert run.state is RunState.CANCELLED and run.human
    assert "by a person" in bed.steps(run_id)[-1].detail
    assert bed.world.verifier.started == []


def test_cancel_through_the_service_takes_the_lease_away(bed):
    [run_id] = bed.finding("b001", xid=62)
    bed.engine.tick(bed.database)
    assert bed.world.scheduler.count("drain", "b001") == 1
    with bed.database.transaction() as session:
        service.cancel(session, SYSTEM, run_id, "operator is on it")
    bed.play(10 * 60)
    assert bed.run(run_id).state is RunState.CANCELLED
    assert bed.world.gpu.resets == []
    assert bed.steps(run_id)[-1].actor == SYSTEM.actor


def test_executor_failures_are_retried_with_backoff_then_escalated(bed):
    bed.world.scheduler.fail_next = 10  # Slurm keeps refusing
    [run_id] = bed.finding("b002", xid=62)
    bed.engine.tick(bed.database)
    failed = [s for s in bed.steps(run_id) if s.outcome == "failed"]
    assert len(failed) == 1 and "scheduler refused drain" in failed[0].detail
    bed.play(30 * 60, step_s=15)
    run = bed.run(run_id)
    attempts = [s for s in bed.steps(run_id) if s.outcome == "failed" and s.detail.startswith("attempt")]
    assert len(attempts) == 3
    gaps = [(b.at - a.at).total_seconds() for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[1] > gaps[0] >= 30  # backoff grows
    assert run.state is RunState.ESCALATED and run.human
    assert "scheduler refused drain" in run.last_error
    assert any(str(run_id) in key for key in bed.world.notices.pages)


def test_bmc_unreachable_climbs_the_ladder_not_silently(fleet, manual_clock):
    bed = make_bed(fleet, manual_clock)
    [run_id] = bed.finding("b000", xid=79)
    bed.play(15)
    bed.world.bmc("https://bmc-b000").fail_next["/redfish/v1/Systems/1"] = 100
    bed.play(3 * 3600, step_s=60)
    run = bed.run(run_id)
    assert run.state is RunState.ESCALATED and run.ticket  # reboot → power-cycle failed → RMA
    assert any("BMC busy" in s.detail for s in bed.steps(run_id))
    bed.engine.close()


def _worker(database, state, stage: str) -> subprocess.Popen[str]:
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.remediation.crash_worker", database.url, str(state), stage],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None and worker.stdout.readline().strip() == "started"
    return worker


@pytest.mark.parametrize(
    ("stage", "finding", "ends"),
    [
        ("drain", {"xid": 79}, RunState.RESOLVED),
        ("reset", {"xid": 62}, RunState.RESOLVED),
        ("ticket", {"check": "row_remap_failure"}, RunState.ESCALATED),
    ],
)
def test_a_sigkilled_worker_does_each_step_exactly_once(fleet, tmp_path, stage, finding, ends):
    """A real worker process is killed inside an executor call; the next one finishes the run without
    draining, resetting or ticketing twice, because both the run and the world survive the kill."""
    state = tmp_path / "world.json"
    found = Finding(
        "b000",
        finding.get("check", "xid"),
        Severity.CRITICAL,
        FaultOwner.HARDWARE,
        clock.now(),
        "",
        gpu_index=0,
        xid=finding.get("xid"),
    )
    with fleet.transaction() as session:
        [run_id] = service.receive_findings(session, [found]).created
    first = _worker(fleet, state, stage)
    try:
        assert first.stdout.readline().strip().startswith("inside")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second = _worker(fleet, state, "none")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with fleet.transaction() as session:
                run = session.get(RemediationRun, run_id)
                if run.state is ends:
                    break
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait()
    assert run.state is ends, f"run {run_id} still {run.state}: {run.last_error}"
    world = json.loads(state.read_text())
    assert [c for c in world["scheduler"]["calls"] if c == ["drain", "b000"]] == [["drain", "b000"]]
    if stage == "reset":
        assert world["gpu"]["resets"] == [["b000", 0]]
    if stage == "ticket":
        assert [host for _, host, _ in world["notices"]["opened"]] == ["b000"]
