"""The run loop pulls qualification requests from the control plane's answers and sends the results back.

A stand-in control plane (httpx MockTransport) validates each POST with the shared schema and answers with
the node's open requests, closing one when a report brings a run that measured the GPUs, as the real one
does; NVML is the fake replaying the H100 capture; the qualification backend is a fake with H100 figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from fleetops.agent.collectors.fake_nvml import FakeNvml
from fleetops.agent.collectors.nvml import NvmlCollector
from fleetops.agent.demand import BUSY_RETRY_S, UNAVAILABLE_RETRY_S
from fleetops.agent.loop import AgentLoop
from fleetops.agent.node import AgentConfig, NodeAgent
from fleetops.agent.qualify import Measurements, QualificationUnavailable, WeeklySchedule
from fleetops.agent.sender import Sender
from fleetops.agent.spool import Spool
from fleetops.wire import QualificationResult, parse_batch

HOST = "gpu-007"


class ControlPlane:
    def __init__(self) -> None:
        self.open: dict[int, float] = {}
        self.results: list[QualificationResult] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        batch = parse_batch(request.content)
        for report in batch.reports:
            if report.qualification is not None:
                self.results.append(report.qualification)
                if report.qualification.gpus:
                    self.open.clear()
        asks = [{"kind": "qualify", "id": i, "duration_s": d} for i, d in self.open.items()]
        return httpx.Response(
            200, json={"accepted": len(batch.reports), "results": [], "requests": {HOST: asks}}
        )


class FastGpu:
    name = "fake"

    def __init__(self) -> None:
        self.runs: list[tuple[int, float]] = []

    def measure(self, index: int, duration_s: float) -> Measurements:
        self.runs.append((index, duration_s))
        return Measurements([690.0, 700.0, 680.0], 3000.0, 55.0, 55.0)


@pytest.fixture
def setup(tmp_path: Path, fake_nvml: FakeNvml, manual_clock):
    plane, gpu = ControlPlane(), FastGpu()
    agent = NodeAgent(
        AgentConfig(hostname=HOST, spool_dir=tmp_path / "spool"), [NvmlCollector(fake_nvml)], []
    )
    spool = Spool(tmp_path / "spool")
    sender = Sender(
        "http://cp", "node-token", spool, client=httpx.Client(transport=httpx.MockTransport(plane.handle))
    )
    schedule = WeeklySchedule(tmp_path / "qualification.json", 7 * 86_400)
    schedule.mark(manual_clock.now())  # the weekly run is not due: only requests trigger one
    loop = AgentLoop(agent, spool, sender, schedule, backend=lambda: gpu)
    return SimpleNamespace(
        plane=plane, gpu=gpu, loop=loop, nvml=fake_nvml, clock=manual_clock, schedule=schedule
    )


def test_request_in_an_answer_is_run_and_its_result_sent_in_the_next_report(setup) -> None:
    setup.loop.cycle()  # learns of nothing yet, and of the GPUs' idleness
    setup.plane.open[41] = 5.0
    setup.loop.cycle()  # this answer carries request 41
    assert setup.plane.results == [] and list(setup.loop.demand.asks) == [41]
    setup.loop.cycle()
    [result] = setup.plane.results
    assert result.passed and len(result.gpus) == 8 and result.duration_s == 5.0
    assert setup.gpu.runs == [(i, 5.0) for i in range(8)]
    assert setup.plane.open == {} and setup.loop.demand.asks == {}
    setup.loop.cycle()
    assert len(setup.plane.results) == 1  # fulfilled: not run again


def test_busy_gpus_defer_the_request_and_say_so_once(setup) -> None:
    setup.nvml.processes[3] = [SimpleNamespace(pid=4242, usedGpuMemory=1 << 30)]
    setup.plane.open[7] = 5.0
    setup.loop.cycle()
    setup.loop.cycle()
    setup.loop.cycle()
    [busy] = setup.plane.results
    assert not busy.gpus and not busy.passed and "busy" in busy.reason  # could not qualify, not a failure
    assert setup.gpu.runs == []
    setup.nvml.processes.clear()
    setup.loop.cycle()  # readings now idle, but the retry time has not come
    assert setup.gpu.runs == []
    setup.clock.advance(BUSY_RETRY_S)
    setup.loop.cycle()
    assert setup.plane.results[-1].passed and setup.plane.open == {}


def test_without_pytorch_the_agent_reports_it_could_not_qualify_and_retries_later(setup) -> None:
    def missing():
        raise QualificationUnavailable("qualify: needs PyTorch or CuPy and neither is installed")

    setup.loop.backend = missing
    setup.plane.open[9] = 60.0
    for _ in range(4):
        setup.loop.cycle()
    [unable] = setup.plane.results
    assert unable.gpus == [] and "PyTorch" in unable.reason and unable.reason.startswith("could not qualify")
    assert setup.plane.open == {9: 60.0}  # still open: the control plane was told why, nothing more
    setup.loop.backend = lambda: setup.gpu
    setup.clock.advance(UNAVAILABLE_RETRY_S)
    setup.loop.cycle()
    assert setup.plane.results[-1].passed


def test_weekly_burn_in_still_runs_when_due_and_idle(setup) -> None:
    setup.loop.cycle()
    setup.clock.advance(7 * 86_400)
    setup.loop.cycle()
    assert [r.passed for r in setup.plane.results] == [True]
    setup.loop.cycle()
    assert len(setup.plane.results) == 1
    assert json.loads(setup.schedule.state_file.read_text())["last_run"] == setup.clock.now().timestamp()


def test_requests_are_read_from_a_409_answer_and_an_old_server_changes_nothing(tmp_path: Path) -> None:
    answers = iter(
        [
            httpx.Response(409, json={"status": 409, "requests": {HOST: [{"kind": "qualify", "id": 3}]}}),
            httpx.Response(200, json={"accepted": 1, "results": []}),  # a control plane without `requests`
        ]
    )
    spool = Spool(tmp_path / "spool")
    sender = Sender(
        "http://cp", "t", spool, client=httpx.Client(transport=httpx.MockTransport(lambda _: next(answers)))
    )
    spool.put(b'{"hostname": "x"}', "r1")
    assert sender.drain().requests == {HOST: [{"kind": "qualify", "id": 3}]}
    spool.put(b'{"hostname": "x"}', "r2")
    assert sender.drain().requests is None
