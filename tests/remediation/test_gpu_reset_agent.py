"""GPU reset through the node agent, end to end on the real app: the agent (real loop, fake NVML replaying the
H100 capture, a fake `nvidia-smi` first on PATH) reports XID 48 on GPU 3 → health → remediation plans a
reset → `AgentGpuReset` files the request → it rides back in the answer to the agent's report → the agent
resets the idle GPU and reports → the run moves on to verification, and the agent's qualification resolves
it. A GPU a process holds is refused after the agent's bound, and the ladder climbs (drain, reboot)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from fleetops.agent.collectors.fake_nvml import FakeNvml
from fleetops.agent.collectors.nvml import NvmlCollector, NvmlXidEvents
from fleetops.agent.demand import BUSY_RETRY_S
from fleetops.agent.loop import AgentLoop
from fleetops.agent.node import AgentConfig, NodeAgent
from fleetops.agent.qualify import Measurements, WeeklySchedule
from fleetops.agent.reset import BUSY_TRIES
from fleetops.agent.sender import Sender
from fleetops.agent.spool import Spool
from fleetops.auth.choices import Role
from fleetops.health.models import AgentRequest
from fleetops.inventory.models import Node
from fleetops.pipeline import Handoff
from fleetops.remediation.choices import RunState
from fleetops.remediation.executors import AgentGpuReset
from fleetops.remediation.verify import HealthVerifier
from tests.agent import fake_smi
from tests.factories import token

HOST = "b002"
FIXTURES = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "gpu" / "h100-sxm5"
).resolve()


class FastGpu:
    name = "fake"

    def measure(self, index: int, duration_s: float) -> Measurements:
        return Measurements([690.0, 700.0, 680.0], 3000.0, 55.0, 55.0)


@pytest.fixture
def node(bed, client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """b002's agent posting to the real app, and the bed's engine resetting through it."""
    if not FIXTURES.is_dir():
        pytest.skip(f"real H100 captures not found at {FIXTURES}")
    nvml = FakeNvml.from_fixtures(FIXTURES, gpus=8)
    for index in range(8):
        nvml.set(index, "UUID", f"GPU-{HOST}-{index}")  # the inventory's GPUs
    collector = NvmlCollector(nvml)
    agent = NodeAgent(AgentConfig(hostname=HOST), [collector], [NvmlXidEvents(collector)])
    with bed.database.transaction() as session:
        node_id = session.scalar(select(Node.id).where(Node.hostname == HOST))
    spool = Spool(tmp_path / "spool")
    sender = Sender(
        "http://testserver", token(bed.database, Role.AGENT, node_id=node_id), spool, client=client
    )
    schedule = WeeklySchedule(tmp_path / "qualification.json", 7 * 86_400)
    schedule.mark(bed.clock.now())
    loop = AgentLoop(agent, spool, sender, schedule, backend=FastGpu)
    bed.engine.executors.gpu = AgentGpuReset(bed.database)
    bed.engine.verifier = HealthVerifier()
    return SimpleNamespace(nvml=nvml, loop=loop, smi=fake_smi.install(tmp_path / "bin", monkeypatch))


def _play(bed, node, seconds: float, handoff: Handoff) -> None:
    """Fleet time passes: the agent reports every 30 s, health hands off and the engine ticks every 15 s."""
    for step in range(int(seconds // 15)):
        if step % 2 == 0:
            node.loop.cycle()
        handoff(bed.database)
        bed.engine.tick(bed.database)
        bed.clock.advance(15)


def _requests(bed, kind: str) -> list[AgentRequest]:
    with bed.database.transaction() as session:
        return list(session.scalars(select(AgentRequest).where(AgentRequest.kind == kind)))


def test_xid48_reset_runs_on_the_agent_and_the_run_goes_on_to_verification(bed, node):
    handoff = Handoff()
    node.nvml.push_xid(3, 48)
    _play(bed, node, 30, handoff)
    [run] = bed.runs_of(HOST)
    assert run.plan[:2] == ["reset_gpu", "verify"]
    [asked] = _requests(bed, "reset_gpu")
    assert asked.gpu_index == 3 and asked.closed_at is None
    _play(bed, node, 60, handoff)  # the answer carries it; the next cycle resets
    assert node.smi.resets() == ["-r -i 3"]
    [asked] = _requests(bed, "reset_gpu")
    assert asked.outcome == "ok" and "successfully reset" in asked.detail
    while bed.run(run.id).state is RunState.ACTING:
        _play(bed, node, 15, handoff)
    assert bed.run(run.id).state is RunState.VERIFYING
    assert [q.closed_at for q in _requests(bed, "qualify")] == [None]  # the verifier asked the agent
    _play(bed, node, 120, handoff)
    assert [q.outcome for q in _requests(bed, "qualify")] == ["passed"]
    run = bed.run(run.id)
    assert run.state is RunState.RESOLVED and not run.human
    assert bed.actions_done(run.id) == ["reset_gpu", "verify"]
    assert node.smi.resets() == ["-r -i 3"]  # once, for all the reports and ticks since


def test_a_busy_gpu_is_refused_after_the_agents_bound_and_the_ladder_climbs(bed, node):
    handoff = Handoff()
    node.nvml.processes[3] = [SimpleNamespace(pid=4242, usedGpuMemory=1 << 30)]
    node.nvml.push_xid(3, 48)
    _play(bed, node, 90, handoff)
    [asked] = _requests(bed, "reset_gpu")
    assert asked.closed_at is None and "a process uses GPU 3" in asked.detail  # the agent's word, shown
    [run] = bed.runs_of(HOST)
    assert run.state is RunState.ACTING
    _play(bed, node, BUSY_TRIES * BUSY_RETRY_S + 60, handoff)
    [asked] = _requests(bed, "reset_gpu")
    assert asked.outcome == "refused" and "pid 4242" in asked.detail
    assert node.smi.resets() == []
    run = bed.run(run.id)
    assert "reboot_node" in run.plan[2:]  # the ladder's next rung, after the drain it adds
    assert any("refused" in s.detail and "pid 4242" in s.detail for s in bed.steps(run.id))
    assert bed.world.scheduler.state(HOST) == "drained"
