"""The versioned agent → control-plane report schema, imported by both sides so they cannot drift apart.

Shapes are strict (unknown fields rejected, every list and string bounded) because a report comes from a
machine we do not control: an oversized or malformed report must fail validation with a message naming
the field, never reach the database. `None` on a reading means "the source did not answer" (not
supported, or the collector was missing), which is different from zero.

msgspec rather than pydantic: validating reports was most of the control plane's ingest CPU, and msgspec
decodes an 18 KB 8-GPU report about 6x cheaper (~86 against ~520 us, measured), straight from the bytes.
Its structs are checked when decoded or converted, not when built in Python (times are still put in UTC):
what the agent builds is checked where the control plane receives it, the check that matters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID, uuid4

import msgspec
from msgspec import Meta, Struct, field
from msgspec.structs import force_setattr

from fleetops.errors import InvalidInput

SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})
MAX_GPUS = 64
MAX_NVLINKS = 36
MAX_EVENTS = 1000
MAX_FINDINGS = 2000
MAX_BATCH = 64
MAX_RELAYED = 64  # agent POSTs in one relayed request
MAX_STRING = 256
MAX_MESSAGE = 2048
MAX_REPORT_BYTES = 4 * 1024 * 1024
# A batch nests seven deep (`{"reports":[{"gpus":[{"nvlinks":[[`); JSON nested deeper is not a report, and a
# recursive parser given thousands of levels raises RecursionError, which once answered a retryable 500.
MAX_DEPTH = 32
# How long the control plane keeps an idle agent connection open: longer than two report intervals, so an
# agent reporting every 30 s reuses its connection instead of paying a TCP handshake (and the server an
# accept) on every report. Agents give a connection up sooner (`AGENT_KEEP_ALIVE_S`), so they never send
# on one the server is closing. 10,000 agents hold 10,000 idle sockets: raise the server's open-file limit.
SERVER_KEEP_ALIVE_S = 75
AGENT_KEEP_ALIVE_S = 60

Name = Annotated[str, Meta(min_length=1, max_length=MAX_STRING)]
Text = Annotated[str, Meta(max_length=MAX_MESSAGE)]
Count = Annotated[int, Meta(ge=0, le=2**63 - 1)]
Percent = Annotated[float, Meta(ge=0, le=100)]
Celsius = Annotated[float, Meta(ge=-50, le=200)]
Watts = Annotated[float, Meta(ge=0, le=10_000)]
Mhz = Annotated[int, Meta(ge=0, le=100_000)]
GpuIndex = Annotated[int, Meta(ge=0, lt=MAX_GPUS)]
XidCode = Annotated[int, Meta(ge=0, le=65_535)]
# msgspec constraints check but never convert: the zone is required here, and each struct's __post_init__
# (`_in_utc`) moves the time to UTC so that every stored time compares and prints alike.
UtcDatetime = Annotated[datetime, Meta(tz=True)]

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
    """How bad a finding is: the agent's word, kept by health, alerts and remediation (`flow.Finding`)."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class FaultOwner(StrEnum):
    """Who must act on a fault, from the agent's report to the alert's `owner` label: one vocabulary.

    Alert labels spell the driver/system owner `driver`, which the routing trees match on
    (`owner=~"hardware|driver|unknown"`); `label` and `read` are the only places that know it."""

    APPLICATION = "application"
    HARDWARE = "hardware"
    DRIVER_SYSTEM = "driver/system"
    CUSTOMER = "customer"  # an alert's sender says the customer acts (Alertmanager); no agent check does
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        """The spelling in alert labels and routing matchers."""
        return "driver" if self is FaultOwner.DRIVER_SYSTEM else self.value

    @classmethod
    def read(cls, text: str) -> FaultOwner:
        """An owner as stored, sent or labelled; anything else (a sender's own word) is unknown."""
        for owner in cls:
            if text in (owner.value, owner.label):
                return owner
        return cls.UNKNOWN


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
    NETWORK_LINK_FLAP = "network_link_flap"  # passive InfiniBand/Ethernet checks (catalog/links.yaml)
    NETWORK_LINK_ERRORS = "network_link_errors"


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


class Shape(Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """Every wire struct: a field this side does not know is refused, never silently dropped.

    Not tracked by the cyclic garbage collector (`gc=False`): wire structs are trees of values that never
    refer back to themselves, and a report decodes into ~170 of them, so tracking them cost 4 % of the
    control plane's ingest (callgrind, 1,067k → 1,023k instructions a report)."""


S = TypeVar("S", bound=Shape)


def _in_utc(shape: Shape, *names: str) -> None:
    """Store the times `names` in UTC, whatever offset the sender used. Decoding has already refused a
    time without a zone; a struct built in Python is not checked, so that is refused here too."""
    for name in names:
        value = getattr(shape, name)
        if value.utcoffset() is None:
            raise ValueError(f"{name}: a time without a timezone is ambiguous")
        if value.tzinfo is not UTC:
            try:
                force_setattr(shape, name, value.astimezone(UTC))
            except OverflowError:  # year 1 at +14:00 has no UTC time: refused like any bad field
                raise ValueError(f"{name}: {value.isoformat()} is out of range in UTC") from None


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
    gen: Annotated[int, Meta(ge=0, le=16)] | None = None
    width: Annotated[int, Meta(ge=0, le=64)] | None = None
    max_gen: Annotated[int, Meta(ge=0, le=16)] | None = None
    max_width: Annotated[int, Meta(ge=0, le=64)] | None = None
    replay_counter: Count | None = None


class NvLink(Shape, array_like=True):
    """On the wire as `[link, up, replay_errors, recovery_errors, crc_errors]`: an H100 has 18 links per
    GPU, and as keyed objects they were 60 % of a report's bytes (18.7 KB → 10.2 KB as arrays, and
    decoding a report ~45 % cheaper)."""

    link: Annotated[int, Meta(ge=0, lt=MAX_NVLINKS)]
    up: bool
    replay_errors: Count | None = None
    recovery_errors: Count | None = None
    crc_errors: Count | None = None


class GpuReading(Shape):
    index: GpuIndex
    uuid: Name | None = None
    serial: Name | None = None
    name: Name | None = None
    pci_bus_id: Name | None = None
    vbios_version: Name | None = None  # "96.00.DA.00.0C"; absent from agents before it was sent
    lost: bool = False
    temperature_c: Celsius | None = None
    memory_temperature_c: Celsius | None = None
    power_w: Watts | None = None
    power_limit_w: Watts | None = None
    sm_clock_mhz: Mhz | None = None
    memory_clock_mhz: Mhz | None = None
    max_sm_clock_mhz: Mhz | None = None
    clock_event_mask: Count | None = None
    clock_event_reasons: Annotated[list[Name], Meta(max_length=64)] = field(default_factory=list)
    utilization_gpu_pct: Percent | None = None
    utilization_memory_pct: Percent | None = None
    memory_used_bytes: Count | None = None
    memory_total_bytes: Count | None = None
    compute_processes: Count | None = None
    ecc: Ecc = field(default_factory=Ecc)
    remapped_rows: RemappedRows | None = None
    retired_pages: RetiredPages | None = None
    pcie: PcieLink = field(default_factory=PcieLink)
    nvlinks: Annotated[list[NvLink], Meta(max_length=MAX_NVLINKS)] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.clock_event_mask is not None and not self.clock_event_reasons:
            force_setattr(self, "clock_event_reasons", decode_clock_event_reasons(self.clock_event_mask))


class XidEvent(Shape):
    code: XidCode
    occurred_at: UtcDatetime
    pci_bus_id: Name | None = None
    gpu_index: GpuIndex | None = None
    pid: Annotated[int, Meta(ge=0)] | None = None
    process_name: Name | None = None
    message: Text = ""
    raw: Text = ""
    source: Literal["kmsg", "journal", "nvml", "smi"] = "kmsg"
    recovery_action: RecoveryAction | None = None

    def __post_init__(self) -> None:
        _in_utc(self, "occurred_at")


class DriverEvent(Shape):
    """A fatal driver line that is not an XID ("GPU has fallen off the bus", RmInitAdapter failed...)."""

    kind: Name
    occurred_at: UtcDatetime
    pci_bus_id: Name | None = None
    gpu_index: GpuIndex | None = None
    message: Text = ""
    raw: Text = ""

    def __post_init__(self) -> None:
        _in_utc(self, "occurred_at")


class Finding(Shape):
    kind: FindingKind
    severity: Severity
    action: Action
    summary: Text
    gpu_index: GpuIndex | None = None
    gpu_uuid: Name | None = None
    xid: XidCode | None = None
    owner: FaultOwner = FaultOwner.UNKNOWN
    details: Annotated[dict[Name, float | int | Text | bool | None], Meta(max_length=32)] = field(
        default_factory=dict
    )


class CollectorStatus(Shape):
    name: Name
    ok: bool
    detail: Text = ""


class GpuQualification(Shape):
    index: GpuIndex
    passed: bool
    uuid: Name | None = None
    matmul_bf16_tflops_median: float | None = None
    matmul_bf16_tflops_min: float | None = None
    device_copy_gbps: float | None = None
    host_to_device_gbps: float | None = None
    device_to_host_gbps: float | None = None
    ecc_uncorrected_delta: Count | None = None
    reasons: Annotated[list[Text], Meta(max_length=32)] = field(default_factory=list)


class QualificationResult(Shape):
    started_at: UtcDatetime
    finished_at: UtcDatetime
    backend: Name
    model: Name
    duration_s: Annotated[float, Meta(ge=0)]
    passed: bool
    new_xids: Annotated[list[int], Meta(max_length=MAX_EVENTS)] = field(default_factory=list)
    gpus: Annotated[list[GpuQualification], Meta(max_length=MAX_GPUS)] = field(default_factory=list)
    reason: Text = ""

    def __post_init__(self) -> None:
        _in_utc(self, "started_at", "finished_at")


class RequestKind(StrEnum):
    """What the control plane may ask of an agent, in the answers to its reports (agents only pull)."""

    QUALIFY = "qualify"
    RESET_GPU = "reset_gpu"


class ResetOutcome(StrEnum):
    """An agent's word on a GPU reset request. `busy` is not an answer yet: a process uses the GPU, the
    agent tries again and the request stays open; the other three close it."""

    OK = "ok"
    FAILED = "failed"
    REFUSED = "refused"
    BUSY = "busy"


class GpuResetResult(Shape):
    request_id: Annotated[int, Meta(ge=1)]
    outcome: ResetOutcome
    at: UtcDatetime
    gpu_index: GpuIndex | None = None  # None: every GPU of the node
    detail: Text = ""

    def __post_init__(self) -> None:
        _in_utc(self, "at")


class NodeReport(Shape):
    hostname: Name
    agent_version: Name
    collected_at: UtcDatetime
    schema_version: int = SCHEMA_VERSION
    report_id: UUID = field(default_factory=uuid4)
    expected_gpu_count: Annotated[int, Meta(ge=0, le=MAX_GPUS)] | None = None
    driver_version: Name | None = None
    collectors: Annotated[list[CollectorStatus], Meta(max_length=16)] = field(default_factory=list)
    gpus: Annotated[list[GpuReading], Meta(max_length=MAX_GPUS)] = field(default_factory=list)
    xid_events: Annotated[list[XidEvent], Meta(max_length=MAX_EVENTS)] = field(default_factory=list)
    driver_events: Annotated[list[DriverEvent], Meta(max_length=MAX_EVENTS)] = field(default_factory=list)
    findings: Annotated[list[Finding], Meta(max_length=MAX_FINDINGS)] = field(default_factory=list)
    qualification: QualificationResult | None = None
    gpu_resets: Annotated[list[GpuResetResult], Meta(max_length=MAX_GPUS)] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.schema_version not in SUPPORTED_SCHEMA_VERSIONS:
            supported = sorted(SUPPORTED_SCHEMA_VERSIONS)
            raise ValueError(f"schema_version {self.schema_version} is not one of {supported}")
        indexes = [gpu.index for gpu in self.gpus]
        if len(indexes) != len(set(indexes)):
            raise ValueError("gpus: the same GPU index appears twice")
        _in_utc(self, "collected_at")


class ReportBatch(Shape):
    reports: Annotated[list[NodeReport], Meta(min_length=1, max_length=MAX_BATCH)]


class RelayedPost(Shape):
    """One agent POST as `fleetops relay` forwards it: the agent's own token and body, so the control plane
    checks and answers every agent as if it had posted directly. `body` is null when it was over the
    limit, with `size` saying how big it was."""

    token: Annotated[str, Meta(min_length=1, max_length=1024)]
    body: msgspec.Raw
    size: Count


class RelayedPosts(Shape):
    posts: Annotated[list[RelayedPost], Meta(min_length=1, max_length=MAX_RELAYED)]


# Built once: a typed decoder validates while it parses, with no intermediate dicts.
report_decoder = msgspec.json.Decoder(NodeReport)
batch_decoder = msgspec.json.Decoder(ReportBatch)
relayed_decoder = msgspec.json.Decoder(RelayedPosts)

# msgspec's "Expected `int` >= 0 - at `$.gpus[0].ecc.corrected_volatile`" (or "... - at `key` in `$.x`").
_AT = re.compile(r" - at (`key` in )?`\$\.?([^`]*)`$")


def split_error(error: msgspec.DecodeError) -> tuple[str, str]:
    """(path, reason), the path as a reader writes it (`gpus[0].ecc.corrected_volatile`, "" for the
    whole object), so messages and callers that act on the field (smi_xml) need not know msgspec's form."""
    text = str(error)
    at = _AT.search(text)
    if at is None:
        return "", text
    key, path = at.groups()
    return f"{path} key" if key else path, text[: at.start()]


def validation_message(error: msgspec.DecodeError) -> str:
    """The first bad field, then what is wrong with it."""
    path, reason = split_error(error)
    return f"{path}: {reason}" if path else reason


_WINDOW = 1 << 16  # bytes of structure blanked at a time: joining millions of pieces at once took 190 MiB
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_ONE_BRACKET = bytes.maketrans(b"{}", b"[]")


def check_depth(body: bytes, what: str, fmt: str = "JSON") -> None:
    """Refuse JSON nested deeper than MAX_DEPTH before a recursive parser (json, msgspec) sees it; YAML's
    flow style (`[`, `{`) is checked the same way, `fmt` naming the format in the message.

    Escaped backslashes and quotes are dropped, then everything but quotes and brackets, then strings are
    blanked, and the innermost pairs removed once per level: each pass runs at C speed, and at most
    MAX_DEPTH passes are needed. Whatever is left then is either deeper than the limit or unclosed brackets
    (malformed, refused by the parser as such once they are few). Blanking the strings of a 37 MB
    inventory file with one regular expression took 400 MiB; reduced to its structure first and blanked a
    window at a time, 5 MiB.
    """
    if b"\\" in body:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = body.translate(None, _NOT_STRUCTURE)
    brackets = _outside_strings(structure).translate(_ONE_BRACKET)
    for _ in range(MAX_DEPTH):
        if b"[]" not in brackets:
            break
        brackets = brackets.replace(b"[]", b"")
    if b"[]" in brackets or brackets.count(b"[") > MAX_DEPTH:
        raise InvalidInput(f"{what}: {fmt} nested deeper than {MAX_DEPTH} levels", field="depth")


def _outside_strings(structure: bytes) -> bytes:
    """The brackets of `structure` (quotes and brackets only) that are not between two quotes; after an
    unclosed quote they are kept, as the parser will refuse the file anyway."""
    kept, inside = [], False
    for start in range(0, len(structure), _WINDOW):
        parts = structure[start : start + _WINDOW].split(b'"')
        kept.append(b"".join(parts[1::2] if inside else parts[::2]))
        inside ^= len(parts) % 2 == 0  # an odd number of quotes in this window
    if inside:
        kept.append(structure[structure.rfind(b'"') + 1 :])
    return b"".join(kept)


def _parse(payload: bytes | str | dict[str, Any], decoder: msgspec.json.Decoder[S], what: str) -> S:
    if not isinstance(payload, dict) and len(payload) > MAX_REPORT_BYTES:
        raise InvalidInput(f"{what}: body is {len(payload)} bytes, over the {MAX_REPORT_BYTES} byte limit")
    try:
        if isinstance(payload, dict):
            return msgspec.convert(payload, decoder.type)
        return decoder.decode(payload)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"{what}: {validation_message(exc)}") from exc
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"{what}: body is not JSON ({exc})") from exc


def parse_report(payload: bytes | str | dict[str, Any]) -> NodeReport:
    """Validate one report from the wire; every failure is `InvalidInput` naming the first bad field."""
    return _parse(payload, report_decoder, "report")


def parse_batch(payload: bytes | str | dict[str, Any]) -> ReportBatch:
    """Validate a batch as posted to /api/v1/health/reports."""
    return _parse(payload, batch_decoder, "batch")


def dump_report(report: NodeReport) -> bytes:
    return msgspec.json.encode(report)


def without_nulls(shape: Shape) -> Any:
    """`shape` as JSON-ready builtins with every None left out, at any depth: for readers to whom a
    reading nobody answered and a missing one mean the same (stored qualification rows)."""

    def drop(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: drop(item) for key, item in value.items() if item is not None}
        if isinstance(value, list):
            return [drop(item) for item in value]
        return value

    return drop(msgspec.to_builtins(shape))
