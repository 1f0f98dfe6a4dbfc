"""GPU resets the control plane asks for, served by the real loop: NVML is the fake replaying the H100
capture, `nvidia-smi` a fake executable first on PATH, the control plane a stand-in that validates each
POST with the shared schema and closes a reset request on the agent's final word, as the real one does."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from tests.agent import fake_smi

from fleetops.agent.collectors.fake_nvml import FakeNvml
from fleetops.agent.collectors.nvml import NvmlCollector
from fleetops.agent.demand import BUSY_RETRY_S
from fleetops.agent.loop import AgentLoop
from fleetops.agent.node import AgentConfig, NodeAgent
from fleetops.agent.qualify import WeeklySchedule
from fleetops.agent.reset import BUSY_TRIES, STARTED, GpuResetter, ResetJournal
from fleetops.agent.sender import Sender
from fleetops.agent.spool import Spool
from fleetops.wire import GpuResetResult, ResetOutcome, parse_batch

HOST = "gpu-007"


class ControlPlane:
    def __init__(self) -> None:
        self.open: dict[int, int | None] = {}  # reset request id → GPU index
        self.results: list[GpuResetResult] = []
        self.gpu_counts: list[int] = []
        self.forget_results = False  # the answer keeps offering a closed request (its result lost)

    def handle(self, request: httpx.Request) -> httpx.Response:
        batch = parse_batch(request.content)
        for report in batch.reports:
            self.gpu_counts.append(len(report.gpus))
            for result in report.gpu_resets:
                self.results.append(result)
                if result.outcome is not ResetOutcome.BUSY and not self.forget_results:
                    self.open.pop(result.request_id, None)
        asks = [{"kind": "reset_gpu", "id": i, "gpu_index": g} for i, g in self.open.items()]
        return httpx.Response(200, json={"results": [], "requests": {HOST: asks}})

    def final(self) -> list[GpuResetResult]:
        return [r for r in self.results if r.outcome is not ResetOutcome.BUSY]


def _loop(tmp_path: Path, nvml: FakeNvml, plane: ControlPlane, clock) -> AgentLoop:
    """A freshly started agent over the same spool directory (a restart keeps the directory)."""
    collector = NvmlCollector(nvml)
    agent = NodeAgent(AgentConfig(hostname=HOST, spool_dir=tmp_path / "spool"), [collector], [])
    spool = Spool(tmp_path / "spool")
    sender = Sender(
        "http://cp", "node-token", spool, client=httpx.Client(transport=httpx.MockTransport(plane.handle))
    )
    schedule = WeeklySchedule(tmp_path / "qualification.json", 7 * 86_400)
    schedule.mark(clock.now())  # no weekly burn-in in these tests
    return AgentLoop(agent, spool, sender, schedule)


@pytest.fixture
def setup(tmp_path: Path, fake_nvml: FakeNvml, manual_clock, monkeypatch: pytest.MonkeyPatch):
    plane = ControlPlane()
    smi = fake_smi.install(tmp_path / "bin", monkeypatch)
    return SimpleNamespace(
        plane=plane,
        smi=smi,
        nvml=fake_nvml,
        clock=manual_clock,
        tmp=tmp_path,
        loop=_loop(tmp_path, fake_nvml, plane, manual_clock),
    )


def _cycles(setup, count: int, every_s: float = 30) -> None:
    for _ in range(count):
        setup.loop.cycle()
        setup.clock.advance(every_s)


def test_an_idle_gpu_is_reset_once_with_nvml_let_go_and_persistence_mode_restored(setup) -> None:
    shutdowns = []
    real_shutdown = setup.nvml.nvmlShutdown
    setup.nvml.nvmlShutdown = lambda: (shutdowns.append(len(setup.smi.calls())), real_shutdown())[1]
    setup.loop.cycle()
    setup.plane.open[12] = 3
    _cycles(setup, 4)
    assert setup.smi.calls() == ["-pm 0 -i 3", "-r -i 3", "-pm 1 -i 3"]  # the capture has persistence on
    assert shutdowns == [0]  # NVML let go of before nvidia-smi ran
    [result] = setup.plane.results
    assert result.outcome is ResetOutcome.OK and result.request_id == 12 and result.gpu_index == 3
    assert "successfully reset" in result.detail
    assert setup.nvml.initialised and set(setup.plane.gpu_counts[-2:]) == {8}  # NVML read again after it
    assert setup.plane.open == {}
    _cycles(setup, 3)
    assert setup.smi.resets() == ["-r -i 3"]


def test_a_busy_gpu_is_retried_told_once_and_refused_after_the_bound(setup) -> None:
    setup.nvml.processes[3] = [SimpleNamespace(pid=4242, usedGpuMemory=1 << 30)]
    setup.plane.open[5] = 3
    setup.loop.cycle()  # learns of the request
    _cycles(setup, BUSY_TRIES + 2, every_s=BUSY_RETRY_S)
    busy = [r for r in setup.plane.results if r.outcome is ResetOutcome.BUSY]
    assert len(busy) == 1 and "a process uses GPU 3" in busy[0].detail  # said once, not every cycle
    [refused] = setup.plane.final()
    assert refused.outcome is ResetOutcome.REFUSED
    assert f"after {BUSY_TRIES} tries" in refused.detail and "pid 4242" in refused.detail
    assert setup.smi.resets() == []
    assert setup.plane.open == {}


def test_a_graphics_process_makes_the_gpu_busy_too_and_a_freed_gpu_is_reset(setup) -> None:
    setup.nvml.graphics[1] = [SimpleNamespace(pid=77, usedGpuMemory=0)]
    setup.plane.open[6] = 1
    _cycles(setup, 3, every_s=BUSY_RETRY_S)
    assert setup.smi.resets() == [] and setup.plane.final() == []
    setup.nvml.graphics.clear()
    _cycles(setup, 2, every_s=BUSY_RETRY_S)
    assert setup.smi.resets() == ["-r -i 1"]
    assert [r.outcome for r in setup.plane.final()] == [ResetOutcome.OK]


def test_a_request_offered_again_after_a_restart_is_answered_from_the_journal_not_rerun(setup) -> None:
    setup.plane.forget_results = True  # the result never closes it: the request keeps coming back
    setup.plane.open[8] = 2
    _cycles(setup, 3)
    setup.loop = _loop(setup.tmp, setup.nvml, setup.plane, setup.clock)  # the agent restarts
    _cycles(setup, 3)
    assert setup.smi.resets() == ["-r -i 2"]
    outcomes = {r.outcome for r in setup.plane.final()}
    assert outcomes == {ResetOutcome.OK} and len(setup.plane.final()) >= 2  # the same answer, resent


def test_a_reset_interrupted_by_a_restart_is_reported_failed_and_never_run_again(setup) -> None:
    ResetJournal(setup.tmp / "spool" / "gpu-resets.json").put(9, {"state": STARTED, "at": "2026-11-23"})
    setup.plane.open[9] = 4
    _cycles(setup, 3)
    [failed] = setup.plane.final()
    assert failed.outcome is ResetOutcome.FAILED and "restarted during this reset" in failed.detail
    assert setup.smi.calls() == []


def test_nvidia_smi_refusing_is_a_failed_reset_with_its_words(setup) -> None:
    setup.smi.mode("in_use")
    setup.plane.open[10] = 0
    _cycles(setup, 3)
    [failed] = setup.plane.final()
    assert failed.outcome is ResetOutcome.FAILED
    assert "nvidia-smi -r -i 0 failed (255)" in failed.detail and "In use by another client" in failed.detail
    assert setup.smi.calls()[-1] == "-pm 1 -i 0"  # persistence mode comes back after a failure too


def test_a_hung_nvidia_smi_is_cut_off_at_the_timeout(setup) -> None:
    setup.smi.mode("hang")
    setup.loop.resetter = GpuResetter(ResetJournal(setup.tmp / "journal.json"), timeout_s=0.5)
    setup.plane.open[11] = 0
    _cycles(setup, 3)
    [failed] = setup.plane.final()
    assert failed.outcome is ResetOutcome.FAILED and "no answer within 0.5 s" in failed.detail


def test_without_nvml_nothing_is_reset_and_the_reason_is_given(setup) -> None:
    setup.loop.agent.gpu_collectors = []
    setup.plane.open[13] = 0
    _cycles(setup, BUSY_TRIES + 2, every_s=BUSY_RETRY_S)
    [refused] = setup.plane.final()
    assert refused.outcome is ResetOutcome.REFUSED and "NVML is not running" in refused.detail
    assert setup.smi.calls() == []
