"""End to end through the real HealthVerifier: XID 79 → drain → reboot → the agent is asked to qualify (in
the answer to its report) → its passing result arrives → the run resolves and the node is resumed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from msgspec.structs import replace
from sqlalchemy import select

from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM, Principal
from fleetops.db.session import use_database
from fleetops.health.ingest import ingest
from fleetops.health.service import open_findings
from fleetops.inventory.models import Node
from fleetops.pipeline import Handoff
from fleetops.remediation import engine, service
from fleetops.remediation.choices import RunState
from fleetops.remediation.verify import HealthVerifier
from fleetops.wire import GpuQualification, QualificationResult
from tests.health.reports import body, report, xid


def _agent(bed, host: str) -> Principal:
    with bed.database.transaction() as session:
        node_id = session.scalar(select(Node.id).where(Node.hostname == host))
    return Principal(role=Role.AGENT, name=host, node_id=node_id)


def _send(bed, agent: Principal, *reports) -> dict:
    with bed.database.transaction() as session:
        return ingest(session, agent, body(*reports)).as_dict()


def _passing(bed, host: str) -> QualificationResult:
    started = bed.clock.now() - timedelta(seconds=65)
    return QualificationResult(
        started_at=started,
        finished_at=started + timedelta(seconds=60),
        backend="torch",
        model="H100 80GB HBM3",
        duration_s=60,
        passed=True,
        gpus=[GpuQualification(index=i, uuid=f"GPU-{host}-{i}", passed=True) for i in range(8)],
        reason="all GPUs passed",
    )


def _tick(bed, handoff: Handoff, seconds: float, step_s: float = 15) -> None:
    for _ in range(int(seconds // step_s)):
        bed.clock.advance(step_s)
        handoff(bed.database)
        engine.tick(bed.database)


@pytest.fixture
def wired(bed) -> Iterator[tuple[Handoff, Principal]]:
    """The engine verifying through health, on the bed's database; the hand-off and b002's agent."""
    previous_engine, previous_db = engine.use_engine(bed.engine), use_database(bed.database)
    bed.engine.verifier = HealthVerifier()
    try:
        yield Handoff(), _agent(bed, "b002")
    finally:
        engine.use_engine(previous_engine)
        use_database(previous_db)


def test_xid79_run_is_verified_by_a_qualification_the_agent_pulled(bed, wired):
    handoff, agent = wired
    _send(bed, agent, report("b002", xids=[xid(79, index=5)]))
    _tick(bed, handoff, 30)
    assert bed.world.scheduler.state("b002") == "drained"
    assert bed.world.resets("b002") == ["GracefulRestart"]
    _tick(bed, handoff, 11 * 60)  # the fake BMC is back after 10 min; verification starts
    [run] = _runs(bed)
    assert run.state is RunState.VERIFYING
    answer = _send(bed, agent, report("b002"))  # first report after the reboot: the ask rides back
    [ask] = answer["requests"]["b002"]
    assert ask["kind"] == "qualify"
    _tick(bed, handoff, 120)
    assert _runs(bed)[0].state is RunState.VERIFYING  # a report alone does not return the node
    bed.clock.advance(70)
    answer = _send(bed, agent, report("b002", qualification=_passing(bed, "b002")))
    assert answer["requests"] == {"b002": []}
    _tick(bed, handoff, 60)
    [run] = _runs(bed)
    assert run.state is RunState.RESOLVED and not run.human
    assert bed.world.scheduler.state("b002") == "in_service"
    assert bed.actions_done(run.id) == ["drain", "reboot_node", "verify"]
    with bed.database.transaction() as session:  # the XID 79 findings are closed by the verified repair
        assert [f.check for f in open_findings(session) if f.hostname == "b002"] == []


def test_a_failed_qualification_does_not_return_the_node(bed, wired):
    handoff, agent = wired
    _send(bed, agent, report("b002", xids=[xid(79, index=5)]))
    _tick(bed, handoff, 12 * 60)
    bed.clock.advance(70)
    failed = replace(_passing(bed, "b002"), passed=False, reason="GPU(s) 5 failed")
    _send(bed, agent, report("b002", qualification=failed))
    _tick(bed, handoff, 60)
    [run] = _runs(bed)
    assert run.state is not RunState.RESOLVED
    assert bed.world.scheduler.state("b002") == "drained"
    assert any("qualification under load failed" in s.detail for s in bed.steps(run.id))


def _runs(bed):
    with bed.database.transaction() as session:
        return service.list_runs(session, SYSTEM)
