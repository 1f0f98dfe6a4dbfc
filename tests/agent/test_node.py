import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetops.agent.cli import app
from fleetops.agent.collectors.fake_nvml import FakeNvml
from fleetops.agent.collectors.kmsg import parse_lines
from fleetops.agent.collectors.nvml import NvmlCollector
from fleetops.agent.node import AgentConfig, NodeAgent
from fleetops.agent.qualify import (
    H100_SXM,
    Measurements,
    WeeklySchedule,
    evaluate,
    gpus_idle,
    run_qualification,
)
from fleetops.wire import FindingKind, GpuReading, dump_report, parse_report


class Lines:
    name = "kmsg"

    def __init__(self, events: tuple) -> None:
        self.events = events

    def start(self) -> None:
        pass

    def read_events(self) -> tuple:
        events, self.events = self.events, ([], [])
        return events


def test_cycle_maps_kernel_xid_to_gpu_and_reports(fake_nvml: FakeNvml) -> None:
    line = "NVRM: Xid (PCI:0000:38:00): 79, pid=7, name=train, GPU has fallen off the bus."
    events = parse_lines([(line, datetime(2026, 1, 1, tzinfo=UTC))])
    config = AgentConfig(hostname="gpu-001", expected_gpus=8)
    agent = NodeAgent(config, [NvmlCollector(fake_nvml)], [Lines(events)])
    fake_nvml.lose(2)  # falls off mid-run, after the agent learnt its PCI address
    report = parse_report(dump_report(agent.collect()))
    assert report.xid_events[0].gpu_index == 2
    fallen = [f for f in report.findings if f.kind == FindingKind.FALLEN_OFF_BUS]
    assert len(fallen) == 1 and fallen[0].gpu_index == 2
    assert agent.collect().xid_events == []  # each kernel line reported once


def test_agent_without_gpu_still_reports(h100: Path) -> None:
    fake = FakeNvml.from_fixtures(h100)
    fake.init_error = 12  # NVML_ERROR_LIBRARY_NOT_FOUND
    report = NodeAgent(AgentConfig(hostname="cpu-01"), [NvmlCollector(fake)], []).collect()
    assert report.gpus == [] and report.collectors[0].ok is False
    assert report.findings[0].kind == FindingKind.COLLECTOR_DOWN


def test_qualification_against_reference_figures(h100: Path) -> None:
    reference = json.loads((h100 / "burnin.json").read_text())
    good = Measurements(
        reference["sustained_bf16_tflops_series"],
        reference["d2d_copy_GBps_rw"],
        reference["h2d_GBps"],
        reference["d2h_GBps"],
    )
    gpu = GpuReading(index=0, name=reference["device"])
    assert evaluate(gpu, good, H100_SXM, 0, []).passed
    slow = Measurements([x * 0.7 for x in good.matmul_bf16_tflops], 2000.0, 20.0, 55.0)
    result = evaluate(gpu, slow, H100_SXM, 2, [79])
    assert not result.passed and len(result.reasons) == 6


class LoadedTogether:
    """A backend that holds each GPU's load for `seconds` and records how many GPUs were loaded at once."""

    name = "fake"

    def __init__(self, seconds: float) -> None:
        self.seconds, self.loaded, self.most, self.lock = seconds, 0, 0, threading.Lock()
        self.measured: list[tuple[int, float]] = []

    def measure(self, index: int, duration_s: float) -> Measurements:
        with self.lock:
            self.loaded += 1
            self.most = max(self.most, self.loaded)
            self.measured.append((index, duration_s))
        time.sleep(self.seconds)
        with self.lock:
            self.loaded -= 1
        return Measurements([700.0 - index], 3000.0, 55.0, 55.0)


def test_qualification_loads_every_gpu_at_once(fake_nvml: FakeNvml) -> None:
    backend = LoadedTogether(seconds=0.3)
    agent = NodeAgent(AgentConfig(hostname="gpu-001", expected_gpus=8), [NvmlCollector(fake_nvml)], [])
    started = time.perf_counter()
    result = run_qualification(agent, backend, duration_s=60)
    assert time.perf_counter() - started < 8 * 0.3 / 2  # one after another would take 2.4 s
    assert backend.most == 8
    assert sorted(backend.measured) == [(index, 60) for index in range(8)]
    assert result.passed and [gpu.index for gpu in result.gpus] == list(range(8))
    assert [gpu.matmul_bf16_tflops_min for gpu in result.gpus] == [700.0 - index for index in range(8)]


def test_idle_and_schedule(tmp_path: Path) -> None:
    assert gpus_idle([GpuReading(index=0, compute_processes=0)])
    assert not gpus_idle([GpuReading(index=0, compute_processes=1)])
    assert not gpus_idle([GpuReading(index=0)])  # unknown is never idle
    schedule = WeeklySchedule(tmp_path / "q.json", every_s=7 * 86400)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert schedule.due(now)
    schedule.mark(now)
    assert not schedule.due(now.replace(day=7)) and schedule.due(now.replace(day=8))


def test_cli_qualify_without_backend_says_why() -> None:
    pytest.importorskip("typer")
    result = CliRunner().invoke(app, ["qualify", "--duration", "1"])
    if result.exit_code == 2:
        assert "neither is installed" in result.output or "no CUDA GPU" in result.output
    else:
        assert result.exit_code in (0, 1)  # a machine with PyTorch and a GPU really ran it


def test_cli_xid_and_spool_status(tmp_path: Path) -> None:
    assert "GPU has fallen off the bus" in CliRunner().invoke(app, ["xid", "79"]).output
    status = CliRunner().invoke(app, ["spool", "status", "--spool-dir", str(tmp_path / "s")])
    assert json.loads(status.output)["files"] == 0
