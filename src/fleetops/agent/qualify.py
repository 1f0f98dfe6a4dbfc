"""Burn-in qualification: is each GPU as fast as a healthy one of its model, and did the load break anything?

Measures bf16 matmul throughput (sustained, a figure per window), device memory bandwidth and pinned
host<->device bandwidth with PyTorch or CuPy (the optional `fleetops[gpu]` extra), compares them with
per-model thresholds, and fails a GPU whose uncorrectable ECC count rose or that raised an XID meanwhile.
H100 SXM thresholds come from the reference capture (../shared/fixtures/gpu/README.md): 790 TFLOP/s
peak, 650-720 sustained with power-limited dips to ~580, 3.0 TB/s device copy, 55 GB/s each way over
PCIe Gen5 x16; they sit ~10-20 % below so a healthy GPU at its power cap passes.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from fleetops import clock
from fleetops.errors import FleetopsError
from fleetops.wire import GpuQualification, GpuReading, NodeReport, QualificationResult


class QualificationUnavailable(FleetopsError):
    code = "qualification_unavailable"
    status = 503
    title = "Qualification unavailable"


@dataclass(frozen=True, slots=True)
class ModelThresholds:
    matmul_bf16_median_tflops: float
    matmul_bf16_min_tflops: float
    device_copy_gbps: float
    host_device_gbps: float


H100_SXM = ModelThresholds(
    matmul_bf16_median_tflops=600.0,  # sustained median 650-720 on the reference GPU
    matmul_bf16_min_tflops=500.0,  # worst power-limited window ~580
    device_copy_gbps=2600.0,  # reference 3019 GB/s (bytes read + written)
    host_device_gbps=45.0,  # reference 55.2 GB/s each way, PCIe Gen5 x16
)
MODEL_THRESHOLDS: dict[str, ModelThresholds] = {"H100 80GB HBM3": H100_SXM, "H100 SXM": H100_SXM}


def thresholds_for(model: str) -> ModelThresholds | None:
    for name, limits in MODEL_THRESHOLDS.items():
        if name.lower() in model.lower():
            return limits
    return None


@dataclass(frozen=True, slots=True)
class Measurements:
    matmul_bf16_tflops: list[float]
    device_copy_gbps: float
    host_to_device_gbps: float
    device_to_host_gbps: float


def evaluate(
    gpu: GpuReading,
    measured: Measurements,
    limits: ModelThresholds | None,
    ecc_delta: int | None,
    xids: list[int],
) -> GpuQualification:
    """Pass/fail for one GPU with every reason it failed, so the operator does not rerun to learn more."""
    series = measured.matmul_bf16_tflops or [0.0]
    median, low = statistics.median(series), min(series)
    reasons = []
    if limits is None:
        reasons.append(f"no qualification thresholds for model {gpu.name!r}")
    else:
        checks = (
            (median, limits.matmul_bf16_median_tflops, "bf16 matmul median TFLOP/s"),
            (low, limits.matmul_bf16_min_tflops, "bf16 matmul worst window TFLOP/s"),
            (measured.device_copy_gbps, limits.device_copy_gbps, "device copy GB/s"),
            (measured.host_to_device_gbps, limits.host_device_gbps, "host->device GB/s"),
            (measured.device_to_host_gbps, limits.host_device_gbps, "device->host GB/s"),
        )
        reasons += [f"{what} {value:.1f} < {floor:g}" for value, floor, what in checks if value < floor]
    if ecc_delta:
        reasons.append(f"{ecc_delta} new uncorrectable ECC errors during the run")
    if xids:
        reasons.append(f"XIDs during the run: {', '.join(map(str, sorted(set(xids))))}")
    return GpuQualification(
        index=gpu.index,
        uuid=gpu.uuid,
        passed=not reasons,
        matmul_bf16_tflops_median=round(median, 1),
        matmul_bf16_tflops_min=round(low, 1),
        device_copy_gbps=round(measured.device_copy_gbps, 1),
        host_to_device_gbps=round(measured.host_to_device_gbps, 1),
        device_to_host_gbps=round(measured.device_to_host_gbps, 1),
        ecc_uncorrected_delta=ecc_delta,
        reasons=reasons,
    )


class Backend(Protocol):
    """Measures one GPU; `run_qualification` calls it for every GPU of the node at once, from threads."""

    name: str

    def measure(self, index: int, duration_s: float) -> Measurements: ...


class TorchBackend:
    name = "torch"

    def __init__(self) -> None:
        import torch

        if not torch.cuda.is_available():
            raise QualificationUnavailable("qualify: PyTorch is installed but sees no CUDA GPU")
        self.torch = torch
        # GPUs share PCIe switches and the host's memory: measured together, their host copies would halve
        # each other's bandwidth and fail healthy GPUs, so the copies (a second or two) go one GPU at a time.
        self._copies = threading.Lock()

    def _timed(self, device: str, fn: object, repeat: int) -> float:
        torch = self.torch
        torch.cuda.synchronize(device)
        start = time.perf_counter()
        for _ in range(repeat):
            fn()  # type: ignore[operator]
        torch.cuda.synchronize(device)
        return time.perf_counter() - start

    def measure(self, index: int, duration_s: float) -> Measurements:
        torch, device = self.torch, f"cuda:{index}"
        n = 8192
        a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
        b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
        self._timed(device, lambda: a @ b, 5)  # warm-up: cuBLAS picks its kernel
        series, deadline = [], time.monotonic() + duration_s
        while time.monotonic() < deadline or not series:
            series.append(2 * n**3 * 50 / self._timed(device, lambda: a @ b, 50) / 1e12)
        with self._copies:
            d2d, h2d, d2h = self._copy_rates(device)
        return Measurements(series, d2d, h2d, d2h)

    def _copy_rates(self, device: str) -> tuple[float, float, float]:
        torch, size = self.torch, 1 << 30
        src = torch.empty(size, dtype=torch.uint8, device=device)
        dst = torch.empty_like(src)
        d2d = 2 * size * 20 / self._timed(device, lambda: dst.copy_(src), 20) / 1e9
        host = torch.empty(size, dtype=torch.uint8, pin_memory=True)
        h2d = size * 10 / self._timed(device, lambda: src.copy_(host, non_blocking=True), 10) / 1e9
        d2h = size * 10 / self._timed(device, lambda: host.copy_(src, non_blocking=True), 10) / 1e9
        return d2d, h2d, d2h


def find_backend() -> Backend:
    """PyTorch, else CuPy; otherwise a one-line reason the CLI prints before exiting non-zero."""
    if importlib.util.find_spec("torch") is not None:
        return TorchBackend()
    if importlib.util.find_spec("cupy") is not None:
        raise QualificationUnavailable(
            "qualify: CuPy is installed but only the PyTorch backend is implemented"
        )
    raise QualificationUnavailable(
        "qualify: needs PyTorch or CuPy and neither is installed (pip install 'fleetops[gpu]')"
    )


def gpus_idle(gpus: list[GpuReading]) -> bool:
    """Idle means every GPU reports no compute process; an unknown process count is never idle."""
    return bool(gpus) and all(gpu.compute_processes == 0 and not gpu.lost for gpu in gpus)


class WeeklySchedule:
    """When qualification last ran, kept on disk so a restarted agent does not burn in again at once."""

    def __init__(self, state_file: Path, every_s: float) -> None:
        self.state_file = state_file
        self.every_s = every_s

    def last_run(self) -> float | None:
        try:
            return float(json.loads(self.state_file.read_text())["last_run"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def due(self, now: datetime) -> bool:
        last = self.last_run()
        return last is None or now.timestamp() - last >= self.every_s

    def mark(self, now: datetime) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"last_run": now.timestamp()}))
        temporary.replace(self.state_file)


class _Collects(Protocol):
    def collect(self) -> NodeReport: ...


def run_qualification(agent: _Collects, backend: Backend, duration_s: float) -> QualificationResult:
    """Snapshot, load every GPU at once for `duration_s`, snapshot again: ECC and XID deltas belong to the
    run.

    All at once, as `dcgmi diag` loads them: a fault that shows only under the node's full power and heat
    shows, and an 8-GPU node qualifies in one `duration_s` rather than eight. Remediation's verify step
    waits on this before a node goes back, so one at a time put 8 minutes on every repair's MTTR.
    """
    started = clock.now()
    before = agent.collect()
    if not before.gpus:
        raise QualificationUnavailable("qualify: no GPU readings (see `fleetops-agent collect`)")
    indexes = [gpu.index for gpu in before.gpus]
    with ThreadPoolExecutor(max_workers=len(indexes), thread_name_prefix="qualify") as pool:
        loads = pool.map(lambda index: backend.measure(index, duration_s), indexes)
        measured = dict(zip(indexes, loads, strict=True))
    after = agent.collect()
    model = before.gpus[0].name or "unknown"
    previous = {gpu.index: gpu.ecc.uncorrected_volatile for gpu in before.gpus}
    results = []
    for gpu in after.gpus:
        old, new = previous.get(gpu.index), gpu.ecc.uncorrected_volatile
        delta = None if old is None or new is None else max(0, new - old)
        xids = [x.code for x in after.xid_events if x.gpu_index in (gpu.index, None)]
        results.append(evaluate(gpu, measured[gpu.index], thresholds_for(gpu.name or ""), delta, xids))
    failed = [r.index for r in results if not r.passed]
    return QualificationResult(
        started_at=started,
        finished_at=clock.now(),
        backend=backend.name,
        model=model,
        duration_s=duration_s,
        passed=not failed and len(results) == len(before.gpus),
        new_xids=sorted({x.code for x in after.xid_events}),
        gpus=results,
        reason="all GPUs passed" if not failed else f"GPU(s) {', '.join(map(str, failed))} failed",
    )
