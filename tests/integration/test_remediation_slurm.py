"""Remediation against a real Slurm (slurmctld + slurmd on localhost, TESTBED.md): an unhealthy finding
drains the node (`sinfo -R` shows why), and after verification the node is resumed.

Reuses the Slurm fixture of `test_slurm.py` (the Slurm adapter's own test), which starts and stops the
daemons in a temp dir.
"""

from __future__ import annotations

import pytest

from fleetops.remediation import service
from fleetops.remediation.choices import RunState
from fleetops.remediation.engine import Engine
from fleetops.remediation.fakes import FakeWorld
from fleetops.remediation.models import RemediationRun
from tests.factories import load, make_node, two_tenant_fleet
from tests.integration.test_slurm import slurm, wait_accepts_work  # noqa: F401 - the fixture, reused
from tests.remediation.conftest import Bed


@pytest.fixture
def slurm_bed(sqlite_database, manual_clock, slurm):  # noqa: F811
    fleet = two_tenant_fleet()
    fleet["nodes"] += [
        make_node(n, site="aus1", cluster="beta", position=i + 10)
        for i, n in enumerate(("node001", "node002"))
    ]
    load(sqlite_database, fleet)
    world = FakeWorld()
    executors = world.executors()
    executors.schedulers = lambda cluster, orchestrator: slurm  # the real scontrol / sinfo adapter
    engine = Engine(executors, verifier=world.verifier)
    for node in ("node001", "node002"):
        slurm.resume(node)
        assert wait_accepts_work(slurm, node)
    yield Bed(sqlite_database, manual_clock, world, engine)
    engine.close()


def test_unhealthy_finding_drains_in_slurm_then_resumes(slurm_bed, slurm):  # noqa: F811
    bed = slurm_bed
    [run_id] = bed.finding("node002", xid=79)
    bed.engine.tick(bed.database)
    reasons = slurm.drain_reasons()
    assert "node002" in reasons and f"remediation run {run_id}" in reasons["node002"]
    assert "node001" not in reasons
    assert slurm.status("node002").drained
    bed.play(20 * 60, step_s=30)  # reboot via the (fake) BMC, qualification, then resume
    with bed.database.transaction() as session:
        run = session.get(RemediationRun, run_id)
        assert run.state is RunState.RESOLVED, [s.detail for s in service.steps(session, run_id)]
    assert not slurm.status("node002").drained
    assert "node002" not in slurm.drain_reasons()
    assert wait_accepts_work(slurm, "node002")


def test_a_person_resuming_the_node_in_slurm_cancels_the_run(slurm_bed, slurm):  # noqa: F811
    bed = slurm_bed
    [run_id] = bed.finding("node001", xid=62)
    bed.engine.tick(bed.database)
    assert slurm.status("node001").drained
    slurm.resume("node001")  # `scontrol update nodename=node001 state=resume` by a person
    bed.play(60)
    with bed.database.transaction() as session:
        assert session.get(RemediationRun, run_id).state is RunState.CANCELLED
