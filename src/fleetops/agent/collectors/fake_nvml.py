"""A stand-in for the pynvml module that replays real H100 captures, so the NVML code path runs without a GPU.

It answers from `nvml.json` (one key per nvmlDeviceGet* call, `{"error": ...}` where the H100 refused) and,
if given, steps through `nvml-load-series.json` one sample per `advance()`. Errors are pynvml's own
exception classes, so the collector's error handling is exercised exactly as on a node. Faults are
injected with `set`, `fail`, `lose` and `push_xid`; `call_cost_s` spins to model NVML's own cost.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pynvml

_SERIES_KEYS = {
    "util_gpu": ("UtilizationRates", "gpu"),
    "power_mw": ("PowerUsage", None),
    "temp_c": ("Temperature_GPU", None),
    "sm_mhz": ("Clock_SM", None),
    "mem_mhz": ("Clock_MEM", None),
    "clock_event_reasons": ("CurrentClocksEventReasons", None),
    "ecc_corrected_volatile": ("ECC_corrected_volatile", None),
    "pcie_replay": ("PcieReplayCounter", None),
    "mem_used": ("MemoryInfo", "used"),
}
_ECC_KEYS = {
    (0, 0): "ECC_corrected_volatile",
    (1, 0): "ECC_uncorrected_volatile",
    (0, 1): "ECC_corrected_aggregate",
    (1, 1): "ECC_uncorrected_aggregate",
}


class FakeNvml:
    """Module-like: attribute access falls through to pynvml for constants and exception classes."""

    def __init__(
        self,
        capture: dict[str, Any],
        gpus: int = 8,
        series: list[dict[str, Any]] | None = None,
        call_cost_s: float = 0.0,
    ) -> None:
        template = capture["gpus"][0]
        self.driver = capture.get("driver", "unknown")
        self.devices = [self._clone(template, index) for index in range(gpus)]
        self.series = series or []
        self.step = 0
        self.call_cost_s = call_cost_s
        self.calls = 0
        self.initialised = False
        self.init_error: int | None = None
        self.pending_xids: list[tuple[int, int]] = []
        self.processes: dict[int, list[Any]] = {}
        self.graphics: dict[int, list[Any]] = {}

    @classmethod
    def from_fixtures(
        cls, folder: Path, gpus: int = 8, load: bool = False, call_cost_s: float = 0.0
    ) -> FakeNvml:
        capture = json.loads((folder / "nvml.json").read_text())
        series = json.loads((folder / "nvml-load-series.json").read_text()) if load else None
        return cls(capture, gpus=gpus, series=series, call_cost_s=call_cost_s)

    @staticmethod
    def _clone(template: dict[str, Any], index: int) -> dict[str, Any]:
        device = copy.deepcopy(template)
        device["UUID"] = f"{template['UUID'][:-2]}{index:02x}"
        device["Serial"] = f"{int(template['Serial']) + index}"
        device["PciInfo"]["busId"] = f"00000000:{0x18 + index * 0x10:02X}:00.0"
        return device

    def __getattr__(self, name: str) -> Any:
        return getattr(pynvml, name)

    # -- fault injection -------------------------------------------------------------------------
    def set(self, index: int, key: str, value: Any) -> None:
        self.devices[index][key] = value

    def fail(self, index: int, key: str, code: int = pynvml.NVML_ERROR_NOT_SUPPORTED) -> None:
        self.devices[index][key] = {"error_code": code}

    def lose(self, index: int) -> None:
        self.devices[index]["_lost"] = True

    def push_xid(self, index: int, code: int) -> None:
        self.pending_xids.append((index, code))

    def advance(self) -> None:
        """Apply the next load sample to every GPU (util, power, clocks, reasons, replay counter)."""
        if not self.series:
            return
        sample = self.series[self.step % len(self.series)]
        self.step += 1
        for device in self.devices:
            for field, (key, attr) in _SERIES_KEYS.items():
                if field in sample and attr is None:
                    device[key] = sample[field]
                elif field in sample:
                    device[key] = {**device[key], attr: sample[field]}
            device["CurrentClocksThrottleReasons"] = device["CurrentClocksEventReasons"]

    # -- the pynvml surface the collector uses ---------------------------------------------------
    def _get(self, handle: int, key: str) -> Any:
        self.calls += 1
        if self.call_cost_s:
            end = time.perf_counter() + self.call_cost_s
            while time.perf_counter() < end:
                pass
        device = self.devices[handle]
        if device.get("_lost"):
            raise pynvml.NVMLError(pynvml.NVML_ERROR_GPU_IS_LOST)
        value = device.get(key, {"error": "missing"})
        if isinstance(value, dict) and "error_code" in value:
            raise pynvml.NVMLError(value["error_code"])
        if isinstance(value, dict) and "error" in value:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return value

    def nvmlInit(self) -> None:
        if self.init_error is not None:
            raise pynvml.NVMLError(self.init_error)
        self.initialised = True

    def nvmlShutdown(self) -> None:
        self.initialised = False

    def nvmlDeviceGetCount(self) -> int:
        return len(self.devices)

    def nvmlSystemGetDriverVersion(self) -> str:
        return self.driver

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetUUID(self, h: int) -> str:
        return self._get(h, "UUID")

    def nvmlDeviceGetSerial(self, h: int) -> str:
        return self._get(h, "Serial")

    def nvmlDeviceGetName(self, h: int) -> str:
        return self._get(h, "Name")

    def nvmlDeviceGetVbiosVersion(self, h: int) -> str:
        return self._get(h, "VbiosVersion")

    def nvmlDeviceGetPciInfo(self, h: int) -> SimpleNamespace:
        return SimpleNamespace(**self._get(h, "PciInfo"))

    def nvmlDeviceGetMaxPcieLinkGeneration(self, h: int) -> int:
        return self._get(h, "MaxPcieLinkGeneration")

    def nvmlDeviceGetMaxPcieLinkWidth(self, h: int) -> int:
        return self._get(h, "MaxPcieLinkWidth")

    def nvmlDeviceGetCurrPcieLinkGeneration(self, h: int) -> int:
        return self._get(h, "CurrPcieLinkGeneration")

    def nvmlDeviceGetCurrPcieLinkWidth(self, h: int) -> int:
        return self._get(h, "CurrPcieLinkWidth")

    def nvmlDeviceGetPcieReplayCounter(self, h: int) -> int:
        return self._get(h, "PcieReplayCounter")

    def nvmlDeviceGetTemperature(self, h: int, sensor: int) -> int:
        return self._get(h, "Temperature_GPU")

    def nvmlDeviceGetPowerUsage(self, h: int) -> int:
        return self._get(h, "PowerUsage")

    def nvmlDeviceGetEnforcedPowerLimit(self, h: int) -> int:
        return self._get(h, "EnforcedPowerLimit")

    def nvmlDeviceGetClockInfo(self, h: int, kind: int) -> int:
        return self._get(h, "Clock_SM" if kind == pynvml.NVML_CLOCK_SM else "Clock_MEM")

    def nvmlDeviceGetMaxClockInfo(self, h: int, kind: int) -> int:
        return self._get(h, "MaxClock_SM" if kind == pynvml.NVML_CLOCK_SM else "MaxClock_MEM")

    def nvmlDeviceGetCurrentClocksEventReasons(self, h: int) -> int:
        return self._get(h, "CurrentClocksEventReasons")

    def nvmlDeviceGetUtilizationRates(self, h: int) -> SimpleNamespace:
        return SimpleNamespace(**self._get(h, "UtilizationRates"))

    def nvmlDeviceGetMemoryInfo(self, h: int) -> SimpleNamespace:
        return SimpleNamespace(**self._get(h, "MemoryInfo"))

    def nvmlDeviceGetComputeRunningProcesses(self, h: int) -> list[Any]:
        self._get(h, "Name")
        return self.processes.get(h, [])

    def nvmlDeviceGetGraphicsRunningProcesses(self, h: int) -> list[Any]:
        self._get(h, "Name")
        return self.graphics.get(h, [])

    def nvmlDeviceGetPersistenceMode(self, h: int) -> int:
        return self._get(h, "PersistenceMode")

    def nvmlDeviceGetTotalEccErrors(self, h: int, error_type: int, counter_type: int) -> int:
        return self._get(h, _ECC_KEYS[(error_type, counter_type)])

    def nvmlDeviceGetRemappedRows(self, h: int) -> tuple[int, int, int, int]:
        return tuple(self._get(h, "RemappedRows"))  # type: ignore[return-value]

    def nvmlDeviceGetRetiredPages(self, h: int, cause: int) -> list[int]:
        return self._get(h, "RetiredPages_sbe" if cause == 0 else "RetiredPages_dbe")

    def nvmlDeviceGetRetiredPagesPendingStatus(self, h: int) -> int:
        return self._get(h, "RetiredPagesPendingStatus")

    def nvmlDeviceGetNvLinkState(self, h: int, link: int) -> int:
        states = self._get(h, "NvLinkState")
        state = states.get(str(link), {"error_code": pynvml.NVML_ERROR_INVALID_ARGUMENT})
        if isinstance(state, dict):
            raise pynvml.NVMLError(state.get("error_code", pynvml.NVML_ERROR_NOT_SUPPORTED))
        return state

    def nvmlDeviceGetNvLinkErrorCounter(self, h: int, link: int, counter: int) -> int:
        if "NvLinkErrors" not in self.devices[h]:
            return 0
        return self._get(h, "NvLinkErrors").get(f"{link}:{counter}", 0)

    def nvmlEventSetCreate(self) -> str:
        return "event-set"

    def nvmlDeviceRegisterEvents(self, h: int, types: int, event_set: str) -> None:
        self._get(h, "Name")

    def nvmlEventSetWait_v2(self, event_set: str, timeout_ms: int) -> SimpleNamespace:
        if not self.pending_xids:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_TIMEOUT)
        index, code = self.pending_xids.pop(0)
        return SimpleNamespace(device=index, eventData=code, eventType=pynvml.nvmlEventTypeXidCriticalError)
