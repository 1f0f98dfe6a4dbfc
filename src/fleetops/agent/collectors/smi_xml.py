"""GPU readings from `nvidia-smi -q -x`, the fallback where NVML bindings cannot load (one call: ~56 ms CPU).

The XML changes shape between driver branches (clocks_throttle_reasons became clocks_event_reasons, the
ECC block split into SRAM and DRAM counters, power_readings became gpu_power_readings), so every field is
looked up under each name it has had, and anything unreadable becomes None rather than an exception.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import msgspec

from fleetops.agent.collectors import CollectorUnavailable
from fleetops.errors import InvalidInput
from fleetops.wire import (
    CLOCK_EVENT_REASONS,
    MAX_GPUS,
    MAX_STRING,
    GpuReading,
    normalize_pci_bus_id,
    split_error,
)

_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)")
_REASON_BITS = {name: bit for bit, name in CLOCK_EVENT_REASONS.items()}
_MIB = 1024 * 1024


class SmiParseError(InvalidInput):
    code = "smi_parse_error"


def _text(node: ET.Element | None, *paths: str) -> str | None:
    if node is None:
        return None
    for path in paths:
        found = node.find(path)
        if found is not None and found.text is not None and found.text.strip():
            return found.text.strip()[:MAX_STRING]
    return None


def _number(node: ET.Element | None, *paths: str) -> float | None:
    text = _text(node, *paths)
    match = _NUMBER.match(text) if text else None
    return float(match.group(1)) if match else None


def _int(node: ET.Element | None, *paths: str) -> int | None:
    value = _number(node, *paths)
    return None if value is None else int(value)


def _yes(node: ET.Element | None, *paths: str) -> bool | None:
    text = _text(node, *paths)
    if text is None or text.upper() in ("N/A", "[N/A]", "NOT SUPPORTED"):
        return None
    return text.lower() in ("yes", "active", "enabled", "true")


def _sum(*values: int | None) -> int | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def _clock_event_mask(gpu: ET.Element) -> int | None:
    block = gpu.find("clocks_event_reasons")
    if block is None:
        block = gpu.find("clocks_throttle_reasons")
    if block is None:
        return None
    mask = 0
    for child in block:
        name = re.sub(r"^clocks_(?:event|throttle)_reason_", "", child.tag)
        if (child.text or "").strip() == "Active" and name in _REASON_BITS:
            mask |= _REASON_BITS[name]
    return mask


def _ecc(gpu: ET.Element, kind: str) -> dict[str, int | None]:
    """Corrected/uncorrected totals for `volatile` or `aggregate`, in the R535+ SRAM/DRAM layout or the
    older single_bit/double_bit layout."""
    block = gpu.find(f"ecc_errors/{kind}")
    corrected = _sum(_int(block, "sram_correctable"), _int(block, "dram_correctable"))
    uncorrected = _sum(
        _int(block, "sram_uncorrectable_parity"),
        _int(block, "sram_uncorrectable_secded"),
        _int(block, "sram_uncorrectable"),
        _int(block, "dram_uncorrectable"),
    )
    if corrected is None and uncorrected is None:
        corrected, uncorrected = _int(block, "single_bit/total"), _int(block, "double_bit/total")
    return {f"corrected_{kind}": corrected, f"uncorrected_{kind}": uncorrected}


def _remapped_rows(gpu: ET.Element) -> dict[str, Any] | None:
    block = gpu.find("remapped_rows")
    correctable, uncorrectable = _int(block, "remapped_row_corr"), _int(block, "remapped_row_unc")
    pending, failure = _yes(block, "remapped_row_pending"), _yes(block, "remapped_row_failure")
    if correctable is None or uncorrectable is None or pending is None or failure is None:
        return None
    return {
        "correctable": correctable,
        "uncorrectable": uncorrectable,
        "pending": pending,
        "failure": failure,
    }


def _retired_pages(gpu: ET.Element) -> dict[str, Any] | None:
    block = gpu.find("retired_pages")
    pages = {
        "single_bit": _int(block, "multiple_single_bit_retirement/retired_count"),
        "double_bit": _int(block, "double_bit_retirement/retired_count"),
        "pending": _yes(block, "pending_retirement", "pending_blacklist"),
    }
    return pages if any(value is not None for value in pages.values()) else None


def _power(gpu: ET.Element) -> tuple[float | None, float | None]:
    draw = _number(
        gpu,
        "gpu_power_readings/average_power_draw",
        "gpu_power_readings/instant_power_draw",
        "gpu_power_readings/power_draw",
        "power_readings/power_draw",
    )
    limit = _number(gpu, "gpu_power_readings/current_power_limit", "power_readings/power_limit")
    return draw, limit


def _fields(index: int, gpu: ET.Element) -> dict[str, Any]:
    used, total = _number(gpu, "fb_memory_usage/used"), _number(gpu, "fb_memory_usage/total")
    bus = _text(gpu, "pci/pci_bus_id") or gpu.get("id", "")
    processes = gpu.find("processes")
    power, limit = _power(gpu)
    return {
        "index": index,
        "uuid": _text(gpu, "uuid"),
        "serial": _text(gpu, "serial"),
        "name": _text(gpu, "product_name"),
        "pci_bus_id": normalize_pci_bus_id(bus) if bus else None,
        "temperature_c": _number(gpu, "temperature/gpu_temp"),
        "memory_temperature_c": _number(gpu, "temperature/memory_temp"),
        "power_w": power,
        "power_limit_w": limit,
        "sm_clock_mhz": _int(gpu, "clocks/sm_clock"),
        "memory_clock_mhz": _int(gpu, "clocks/mem_clock"),
        "max_sm_clock_mhz": _int(gpu, "max_clocks/sm_clock"),
        "clock_event_mask": _clock_event_mask(gpu),
        "utilization_gpu_pct": _number(gpu, "utilization/gpu_util"),
        "utilization_memory_pct": _number(gpu, "utilization/memory_util"),
        "memory_used_bytes": None if used is None else int(used * _MIB),
        "memory_total_bytes": None if total is None else int(total * _MIB),
        "compute_processes": None if processes is None else len(processes.findall("process_info")),
        "ecc": {**_ecc(gpu, "volatile"), **_ecc(gpu, "aggregate")},
        "remapped_rows": _remapped_rows(gpu),
        "retired_pages": _retired_pages(gpu),
        "pcie": {
            "gen": _int(gpu, "pci/pci_gpu_link_info/pcie_gen/current_link_gen"),
            "max_gen": _int(gpu, "pci/pci_gpu_link_info/pcie_gen/max_link_gen"),
            "width": _int(gpu, "pci/pci_gpu_link_info/link_widths/current_link_width"),
            "max_width": _int(gpu, "pci/pci_gpu_link_info/link_widths/max_link_width"),
            "replay_counter": _int(gpu, "pci/replay_counter"),
        },
    }


def _drop(fields: dict[str, Any], loc: tuple[Any, ...]) -> bool:
    """Forget the implausible value at `loc`; False when there is nothing left to forget."""
    head = loc[0] if loc else None
    if head == "index" or head not in fields:
        return False
    nested = fields[head]
    if head in ("ecc", "pcie") and len(loc) > 1 and isinstance(nested, dict) and loc[1] in nested:
        nested[loc[1]] = None
    else:
        fields[head] = {} if head in ("ecc", "pcie") else None
    return True


def _reading(fields: dict[str, Any]) -> GpuReading:
    """Validate, dropping implausible values one at a time: one bad field must not cost the whole GPU."""
    for _ in range(64):
        try:
            return msgspec.convert(fields, GpuReading)
        except msgspec.ValidationError as exc:
            path, reason = split_error(exc)
            if not _drop(fields, tuple(re.split(r"[.[]", path)) if path else ()):
                raise SmiParseError(f"nvidia-smi XML: GPU {fields.get('index')}: {reason}") from exc
    raise SmiParseError(f"nvidia-smi XML: GPU {fields.get('index')}: too many implausible values")


def parse_smi_xml(text: str | bytes) -> tuple[str | None, list[GpuReading]]:
    """Driver version and per-GPU readings; `SmiParseError` (never anything else) for unusable input."""
    try:
        root = ET.fromstring(text)
    except (ET.ParseError, ValueError) as exc:
        raise SmiParseError(f"nvidia-smi XML: not well-formed ({exc})") from exc
    if root.tag != "nvidia_smi_log":
        raise SmiParseError(f"nvidia-smi XML: root element is <{root.tag[:40]}>, not <nvidia_smi_log>")
    gpus = root.findall("gpu")[:MAX_GPUS]
    return _text(root, "driver_version"), [_reading(_fields(i, gpu)) for i, gpu in enumerate(gpus)]


class SmiXmlCollector:
    name = "smi_xml"

    def __init__(self, binary: str = "nvidia-smi", timeout_s: float = 30) -> None:
        self.binary = binary
        self.timeout_s = timeout_s
        self.driver_version: str | None = None

    def start(self) -> None:
        if shutil.which(self.binary) is None:
            raise CollectorUnavailable(f"smi_xml: {self.binary} is not installed")

    def read_gpus(self) -> list[GpuReading]:
        try:
            out = subprocess.run(
                [self.binary, "-q", "-x"], capture_output=True, timeout=self.timeout_s, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CollectorUnavailable(f"smi_xml: {self.binary} did not answer ({exc})") from exc
        if out.returncode != 0:
            reason = out.stderr.decode(errors="replace").strip()[:200] or f"exit {out.returncode}"
            raise CollectorUnavailable(f"smi_xml: {self.binary} failed: {reason}")
        self.driver_version, readings = parse_smi_xml(out.stdout)
        return readings
