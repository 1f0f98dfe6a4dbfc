"""The versioned agent → control-plane report schema, imported by both sides so they cannot drift apart.

Shapes are strict (unknown fields rejected, every list and string bounded) because a report comes from a
machine we do not control: an oversized or malformed report must fail validation with a message naming
the field, never reach the database. `None` on a reading means "the source did not answer" (not
supported, or the collector was missing), which is different from zero.
"""

from __future__ import annotations

import json
import re
from datetime import UTC
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from fleetops.errors import InvalidInput

SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})
MAX_GPUS = 64
MAX_NVLINKS = 36
MAX_EVENTS = 1000
MAX_FINDINGS = 2000
MAX_BATCH = 64
MAX_STRING = 256
MAX_MESSAGE = 2048
MAX_REPORT_BYTES = 4 * 1024 * 1024

Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_STRING)]
Text = Annotated[str, StringConstraints(max_length=MAX_MESSAGE)]
Count = Annotated[int, Field(ge=0, le=2**63 - 1)]
Percent = Annotated[float, Field(ge=0, le=100)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(lambda value: value.astimezone(UTC))]

_PCI_RE = re.compile(r"^(?:PCI:)?(?:([0-9a-fA-F]{1,8}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})(?:\.[0-7])?$")


def normalize_pci_bus_id(raw: str) -> str | None:
    """Fold the spellings of one PCI address to `dddd:bb:dd`, so kernel-log lines ("0000:3b:00") match
    NVML's bus ids ("00000000:3B:00.0"); None when `raw` is not a PCI address at all."""
    match = _PCI_RE.match(raw.strip())
    if match is None:
        return None
    domain, bus, device = match.groups()
    return f"{int(domain or '0', 16):04x}:{int(bus, 16):02x}:{int(device, 16):02x}"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class FaultOwner(StrEnum):
    APPLICATION = "application"
    HARDWARE = "hardware"
    DRIVER_SYSTEM = "driver/system"
    UNKNOWN = "unknown"


class Action(StrEnum):
    """Recommended next step, NVIDIA's resolution buckets folded to what a remediation ladder can do."""

    NONE = "none"
    IGNORE = "ignore"
    RESTART_APP = "restart_app"
    DRAIN_P2P = "drain_p2p"
    RESET_GPU = "reset_gpu"
    DRAIN_AND_RESET = "drain_and_reset"
    REBOOT_NODE = "reboot_node"
    CHECK_MECHANICALS = "check_mechanicals"
    UPDATE_SOFTWARE = "update_software"
    INVESTIGATE_SOFTWARE = "investigate_software"
    RUN_FIELD_DIAGNOSTICS = "run_field_diagnostics"
    CONTACT_SUPPORT = "contact_support"


class RecoveryAction(StrEnum):
    """What the driver itself says is needed (XID 154, NVML's GPU recovery action)."""

    NONE = "none"
    GPU_RESET = "gpu_reset"
    NODE_REBOOT = "node_reboot"
    DRAIN_P2P = "drain_p2p"
    DRAIN_AND_RESET = "drain_and_reset"


class FindingKind(StrEnum):
    XID = "xid"
    ECC_UNCORRECTABLE_VOLATILE = "ecc_uncorrectable_volatile"
    ECC_UNCORRECTABLE_AGGREGATE = "ecc_uncorrectable_aggregate"
    ROW_REMAP_FAILURE = "row_remap_failure"
    ROW_REMAP_PENDING = "row_remap_pending"
    RETIRED_PAGES = "retired_pages"
    RETIRED_PAGES_PENDING = "retired_pages_pending"
    PCIE_REPLAY_RATE = "pcie_replay_rate"
    PCIE_LINK_DEGRADED = "pcie_link_degraded"
    THERMAL_THROTTLE = "thermal_throttle"
    POWER_THROTTLE = "power_throttle"
    NVLINK_DOWN = "nvlink_down"
    GPU_MISSING = "gpu_missing"
    FALLEN_OFF_BUS = "fallen_off_bus"
    HUNG_WORKLOAD = "hung_workload"
    DRIVER_ERROR = "driver_error"
    COLLECTOR_DOWN = "collector_down"


# NVML's clocks-event (throttle) reason bits, nvmlClocksEventReason*; names match nvidia-smi -q -x.
CLOCK_EVENT_REASONS: dict[int, str] = {
    0x1: "gpu_idle",
    0x2: "applications_clocks_setting",
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x10: "sync_boost",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
    0x100: "display_clocks_setting",
}


def decode_clock_event_reasons(mask: int) -> list[str]:
    """Bit names in bit order; a bit NVML added after this table is kept as `bit_N`, never dropped."""
    names = [name for bit, name in CLOCK_EVENT_REASONS.items() if mask & bit]
    known = sum(CLOCK_EVENT_REASONS)
    names += [f"bit_{n}" for n in range(64) if mask & ~known & (1 << n)]
    return names


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ecc(Shape):
    corrected_volatile: Count | None = None
    uncorrected_volatile: Count | None = None
    corrected_aggregate: Count | None = None
    uncorrected_aggregate: Count | None = None


class RemappedRows(Shape):
    correctable: Count
    uncorrectable: Count
    pending: bool
    failure: bool


class RetiredPages(Shape):
    single_bit: Count | None = None
    double_bit: Count | None = None
    pending: bool | None = None


class PcieLink(Shape):
    gen: int | None = Field(default=None, ge=0, le=16)
    width: int | None = Field(default=None, ge=0, le=64)
    max_gen: int | None = Field(default=None, ge=0, le=16)
    max_width: int | None = Field(default=None, ge=0, le=64)
    replay_counter: Count | None = None


class NvLink(Shape):
    link: int = Field(ge=0, lt=MAX_NVLINKS)
    up: bool
    replay_errors: Count | None = None
    recovery_errors: Count | None = None
    crc_errors: Count | None = None


class GpuReading(Shape):
    index: int = Field(ge=0, lt=MAX_GPUS)
    uuid: Name | None = None
    serial: Name | None = None
    name: Name | None = None
    pci_bus_id: Name | None = None
    lost: bool = False
    temperature_c: float | None = Field(default=None, ge=-50, le=200)
    memory_temperature_c: float | None = Field(default=None, ge=-50, le=200)
    power_w: float | None = Field(default=None, ge=0, le=10_000)
    power_limit_w: float | None = Field(default=None, ge=0, le=10_000)
    sm_clock_mhz: int | None = Field(default=None, ge=0, le=100_000)
    memory_clock_mhz: int | None = Field(default=None, ge=0, le=100_000)
    max_sm_clock_mhz: int | None = Field(default=None, ge=0, le=100_000)
    clock_event_mask: Count | None = None
    clock_event_reasons: list[Name] = Field(default_factory=list, max_length=64)
    utilization_gpu_pct: Percent | None = None
    utilization_memory_pct: Percent | None = None
    memory_used_bytes: Count | None = None
    memory_total_bytes: Count | None = None
    compute_processes: Count | None = None
    ecc: Ecc = Field(default_factory=Ecc)
    remapped_rows: RemappedRows | None = None
    retired_pages: RetiredPages | None = None
    pcie: PcieLink = Field(default_factory=PcieLink)
    nvlinks: list[NvLink] = Field(default_factory=list, max_length=MAX_NVLINKS)

    @model_validator(mode="after")
    def _decode_reasons(self) -> GpuReading:
        if self.clock_event_mask is not None and not self.clock_event_reasons:
            object.__setattr__(self, "clock_event_reasons", decode_clock_event_reasons(self.clock_event_mask))
        return self


class XidEvent(Shape):
    code: int = Field(ge=0, le=65_535)
    pci_bus_id: Name | None = None
    gpu_index: int | None = Field(default=None, ge=0, lt=MAX_GPUS)
    pid: int | None = Field(default=None, ge=0)
    process_name: Name | None = None
    message: Text = ""
    raw: Text = ""
    occurred_at: UtcDatetime
    source: Literal["kmsg", "journal", "nvml", "smi"] = "kmsg"
    recovery_action: RecoveryAction | None = None


class DriverEvent(Shape):
    """A fatal driver line that is not an XID ("GPU has fallen off the bus", RmInitAdapter failed...)."""

    kind: Name
    pci_bus_id: Name | None = None
    gpu_index: int | None = Field(default=None, ge=0, lt=MAX_GPUS)
    message: Text = ""
    raw: Text = ""
    occurred_at: UtcDatetime


class Finding(Shape):
    kind: FindingKind
    severity: Severity
    action: Action
    summary: Text
    gpu_index: int | None = Field(default=None, ge=0, lt=MAX_GPUS)
    gpu_uuid: Name | None = None
    xid: int | None = Field(default=None, ge=0, le=65_535)
    owner: FaultOwner = FaultOwner.UNKNOWN
    details: dict[Name, float | int | str | bool | None] = Field(default_factory=dict, max_length=32)


class CollectorStatus(Shape):
    name: Name
    ok: bool
    detail: Text = ""


class GpuQualification(Shape):
    index: int = Field(ge=0, lt=MAX_GPUS)
    uuid: Name | None = None
    passed: bool
    matmul_bf16_tflops_median: float | None = None
    matmul_bf16_tflops_min: float | None = None
    device_copy_gbps: float | None = None
    host_to_device_gbps: float | None = None
    device_to_host_gbps: float | None = None
    ecc_uncorrected_delta: Count | None = None
    reasons: list[Text] = Field(default_factory=list, max_length=32)


class QualificationResult(Shape):
    started_at: UtcDatetime
    finished_at: UtcDatetime
    backend: Name
    model: Name
    duration_s: float = Field(ge=0)
    passed: bool
    new_xids: list[int] = Field(default_factory=list, max_length=MAX_EVENTS)
    gpus: list[GpuQualification] = Field(default_factory=list, max_length=MAX_GPUS)
    reason: Text = ""


class NodeReport(Shape):
    schema_version: int = SCHEMA_VERSION
    report_id: UUID = Field(default_factory=uuid4)
    hostname: Name
    agent_version: Name
    collected_at: UtcDatetime
    expected_gpu_count: int | None = Field(default=None, ge=0, le=MAX_GPUS)
    driver_version: Name | None = None
    collectors: list[CollectorStatus] = Field(default_factory=list, max_length=16)
    gpus: list[GpuReading] = Field(default_factory=list, max_length=MAX_GPUS)
    xid_events: list[XidEvent] = Field(default_factory=list, max_length=MAX_EVENTS)
    driver_events: list[DriverEvent] = Field(default_factory=list, max_length=MAX_EVENTS)
    findings: list[Finding] = Field(default_factory=list, max_length=MAX_FINDINGS)
    qualification: QualificationResult | None = None

    @model_validator(mode="after")
    def _check_version_and_indexes(self) -> NodeReport:
        if self.schema_version not in SUPPORTED_SCHEMA_VERSIONS:
            supported = sorted(SUPPORTED_SCHEMA_VERSIONS)
            raise ValueError(f"schema_version {self.schema_version} is not one of {supported}")
        indexes = [gpu.index for gpu in self.gpus]
        if len(indexes) != len(set(indexes)):
            raise ValueError("gpus: the same GPU index appears twice")
        return self


class ReportBatch(Shape):
    reports: list[NodeReport] = Field(min_length=1, max_length=MAX_BATCH)


def _validation_message(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "report"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _load(payload: bytes | str | dict[str, Any], what: str) -> dict[str, Any]:
    if isinstance(payload, dict):
        return payload
    if len(payload) > MAX_REPORT_BYTES:
        raise InvalidInput(f"{what}: body is {len(payload)} bytes, over the {MAX_REPORT_BYTES} byte limit")
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{what}: body is not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{what}: body must be a JSON object, not {type(data).__name__}")
    return data


def parse_report(payload: bytes | str | dict[str, Any]) -> NodeReport:
    """Validate one report from the wire; every failure is `InvalidInput` naming the first bad field."""
    try:
        return NodeReport.model_validate(_load(payload, "report"))
    except ValidationError as exc:
        raise InvalidInput(f"report: {_validation_message(exc)}") from exc


def parse_batch(payload: bytes | str | dict[str, Any]) -> ReportBatch:
    """Validate a batch as posted to /api/v1/health/reports."""
    try:
        return ReportBatch.model_validate(_load(payload, "batch"))
    except ValidationError as exc:
        raise InvalidInput(f"batch: {_validation_message(exc)}") from exc


def dump_report(report: NodeReport) -> bytes:
    return report.model_dump_json(exclude_none=False).encode()
