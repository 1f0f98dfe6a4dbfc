"""The Slurm adapter and the join step against a real slurmctld + slurmd on localhost (TESTBED.md).

One slurmctld and two slurmd daemons (`slurmd -N nodeNNN`) run from a temp dir with auth/none, so the
adapter's `scontrol` and `sinfo` calls are answered by real Slurm 22.05.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from fleetops.adapters.slurm.client import SlurmClient, parse_show_node, status_from_fields
from fleetops.errors import ExternalError
from tests.integration.slurm_cluster import local_slurm, unavailable


@pytest.fixture(scope="module")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmClient]:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with local_slurm(tmp_path_factory.mktemp("slurm")) as client:
        yield client


def wait_accepts_work(slurm: SlurmClient, node: str, timeout_s: float = 60) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if slurm.status(node).accepts_work:
            return True
        time.sleep(0.5)
    return False


def test_parse_real_show_node_line():
    line = (
        "NodeName=node002 Arch=x86_64 CoresPerSocket=1 CPUAlloc=0 State=IDLE+DRAIN ThreadsPerCore=1 "
        "Partitions=debug Reason=XID 79: GPU fell off the bus [root@2026-01-01T00:00:00]"
    )
    fields = parse_show_node(line)
    status = status_from_fields("node002", fields)
    assert fields["Reason"] == "XID 79: GPU fell off the bus [root@2026-01-01T00:00:00]"
    assert status.drained and not status.accepts_work
    assert status_from_fields("n", {"State": "IDLE*"}).accepts_work is False
    assert status_from_fields("n", {"State": "MIXED"}).accepts_work is True


def test_drain_with_reason_then_resume(slurm):
    slurm.drain("node002", "fleetops test: XID 79")
    status = slurm.status("node002")
    assert status.drained and not status.accepts_work
    assert "fleetops test: XID 79" in (status.reason or "")
    assert "fleetops test: XID 79" in slurm.drain_reasons()["node002"]
    slurm.resume("node002")
    assert not slurm.status("node002").drained
    assert wait_accepts_work(slurm, "node002")  # slurmctld pings the node again before scheduling on it
    slurm.resume("node002")  # resuming a node that is not drained is a no-op, not an error


def test_unknown_node_is_not_retryable(slurm):
    with pytest.raises(ExternalError) as error:
        slurm.status("node999")
    assert not error.value.retryable and "node999" in error.value.message


def test_join_step_waits_until_slurm_accepts_work(slurm, manual_clock):
    from fleetops.deploy.backends import StepContext
    from fleetops.deploy.choices import BringupState
    from fleetops.deploy.join import SchedulerJoin

    slurm.drain("node001", "awaiting deployment")
    join = SchedulerJoin(scheduler_for=lambda cluster, orchestrator: slurm, poll_s=1)
    ctx = StepContext(
        1,
        "node001",
        1,
        None,
        "H100",
        8,
        "gamma",
        "slurm-on-kubernetes",
        "img",
        "k8s-cis",
        BringupState.JOINING,
        1,
        0,
        manual_clock.now(),
    )
    assert join.run(ctx).done is False  # resumed the node
    polled, calls = join.run(StepContext(**{**ctx.__dict__, "calls": 1})), 1
    while not polled.done and calls < 120:  # real Slurm: the node is pinged before it takes work
        time.sleep(0.5)
        calls += 1
        polled = join.run(StepContext(**{**ctx.__dict__, "calls": calls}))
    assert polled.done and polled.evidence["scheduler_state"] == "IDLE"
    manual_clock.advance(timedelta(hours=1).total_seconds())
    slurm.drain("node001", "still drained")
    with pytest.raises(ExternalError, match="scheduler state IDLE\\+DRAIN"):
        join.run(StepContext(**{**ctx.__dict__, "calls": 5}))  # past the timeout, still drained: fails
