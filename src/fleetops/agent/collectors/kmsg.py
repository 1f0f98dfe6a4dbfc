"""XID and fatal driver lines from the kernel log (/dev/kmsg, or `journalctl -k` where kmsg is not readable).

The kernel log is where the driver says what happened in its own words, including what NVML's event set
never carries: the process name, the message text, XID 154's recovery action, and "fallen off the bus"
lines written when the GPU is already unreachable through NVML. Line parsing is separate from reading so
the parsers can be tested on any text, and never raise on garbage.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fleetops import clock
from fleetops.agent.collectors import CollectorUnavailable
from fleetops.catalog import parse_recovery_action
from fleetops.wire import MAX_MESSAGE, MAX_STRING, DriverEvent, XidEvent, normalize_pci_bus_id

_BUS = r"(?:PCI:)?(?P<bus>[0-9A-Fa-f]{1,8}:[0-9A-Fa-f]{1,2}:[0-9A-Fa-f]{1,2}(?:\.[0-7])?)"
_XID = re.compile(r"NVRM: Xid \(" + _BUS + r"\): (?P<code>\d{1,5})\b,?\s*(?P<rest>.*)$", re.DOTALL)
_PID_NAME = re.compile(r"^pid=(?P<pid>[^,]*?)(?:, name=(?P<name>[^,]*?))?(?:, (?P<msg>.*))?$", re.DOTALL)
_DRIVER_LINES = (
    ("fallen_off_bus", re.compile(r"NVRM: GPU (?:at )?" + _BUS + r":? (?:GPU )?has fallen off the bus")),
    ("init_failed", re.compile(r"NVRM: (?:GPU " + _BUS + r": )?RmInitAdapter failed")),
    ("gpu_lost", re.compile(r"NVRM: (?:GPU " + _BUS + r": )?.*\bGPU is lost\b|NV_ERR_GPU_IS_LOST")),
    ("sanity_check_failed", re.compile(r"NVRM: .*API_GPU_ATTACHED_SANITY_CHECK failed")),
    ("uvm_fatal", re.compile(r"NVRM: nvGpuOpsReportFatalError: .*fatal error")),
    ("sxid", re.compile(r"nvidia-nvswitch\d*: SXid \(" + _BUS + r"\): \d+")),
    (
        "probe_failed",
        re.compile(r"nvidia " + _BUS + r": probe .*failed|NVRM: The NVIDIA probe routine failed"),
    ),
)
_UNKNOWN_PID = {"", "'<unknown>'", "<unknown>", "'N/A'", "N/A"}


def _clip(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pid(text: str | None) -> int | None:
    if text is None or text.strip() in _UNKNOWN_PID:
        return None
    digits = text.strip().strip("'")
    return int(digits) if digits.isdigit() and len(digits) < 10 else None


def parse_xid_line(line: str, occurred_at: datetime, source: str = "kmsg") -> XidEvent | None:
    """One XID from a kernel log line in any of the driver's formats ("NVRM: Xid (PCI:0000:3b:00): 79,
    pid=..., name=..., GPU has fallen off the bus."); None when the line is not an XID line."""
    match = _XID.search(line)
    if match is None:
        return None
    rest = match.group("rest").strip()
    pid = name = None
    fields = _PID_NAME.match(rest)
    if fields is not None:
        pid, name = _pid(fields.group("pid")), fields.group("name")
        rest = (fields.group("msg") or "").strip()
    code = int(match.group("code"))
    recovery = parse_recovery_action(rest) if code == 154 else None
    name = None if name is None or name.strip() in _UNKNOWN_PID else _clip(name.strip(), MAX_STRING)
    return XidEvent(
        code=min(code, 65_535),
        pci_bus_id=normalize_pci_bus_id(match.group("bus")),
        pid=pid,
        process_name=name or None,
        message=_clip(rest),
        raw=_clip(line.strip()),
        occurred_at=occurred_at,
        source="journal" if source == "journal" else "kmsg",
        recovery_action=recovery,
    )


def parse_driver_line(line: str, occurred_at: datetime) -> DriverEvent | None:
    """A fatal driver line that is not an XID; None for everything else."""
    if "Xid (" in line:
        return None
    for kind, pattern in _DRIVER_LINES:
        match = pattern.search(line)
        if match is not None:
            bus = match.groupdict().get("bus")
            return DriverEvent(
                kind=kind,
                pci_bus_id=normalize_pci_bus_id(bus) if bus else None,
                message=_clip(line[match.start() :].strip()),
                raw=_clip(line.strip()),
                occurred_at=occurred_at,
            )
    return None


def parse_lines(
    lines: Iterable[tuple[str, datetime]], source: str = "kmsg"
) -> tuple[list[XidEvent], list[DriverEvent]]:
    xids: list[XidEvent] = []
    drivers: list[DriverEvent] = []
    for line, when in lines:
        if "NVRM" not in line and "nvidia" not in line:
            continue  # the common case, kept cheap: most kernel lines are not ours
        xid = parse_xid_line(line, when, source)
        if xid is not None:
            xids.append(xid)
            continue
        driver = parse_driver_line(line, when)
        if driver is not None:
            drivers.append(driver)
    return xids, drivers


@dataclass(frozen=True, slots=True)
class KmsgRecord:
    sequence: int
    monotonic_us: int
    message: str


def parse_kmsg_record(record: str) -> KmsgRecord | None:
    """A /dev/kmsg record is "priority,sequence,microseconds,flags[,...];message" (kernel ABI)."""
    header, sep, message = record.partition(";")
    if not sep:
        return None
    parts = header.split(",")
    if len(parts) < 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return KmsgRecord(int(parts[1]), int(parts[2]), message.split("\n", 1)[0])


def _boot_time() -> datetime:
    uptime = time_since_boot()
    return clock.now() - timedelta(seconds=uptime)


def time_since_boot() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


class KmsgCollector:
    """Reads /dev/kmsg without blocking, remembering the last sequence number so nothing is reported twice
    within a boot; a fresh start reads the whole ring so an XID from just before a restart is not missed."""

    name = "kmsg"

    def __init__(self, path: str = "/dev/kmsg") -> None:
        self.path = path
        self._fd: int | None = None
        self._last_sequence = -1
        self._boot = clock.now()

    def start(self) -> None:
        try:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            raise CollectorUnavailable(f"kmsg: cannot open {self.path} ({exc.strerror})") from exc
        self._boot = _boot_time()

    def read_events(self) -> tuple[list[XidEvent], list[DriverEvent]]:
        lines: list[tuple[str, datetime]] = []
        while self._fd is not None:
            try:
                chunk = os.read(self._fd, 8192)
            except BlockingIOError:
                break  # nothing more for now
            except OSError as exc:
                if exc.errno == errno.EPIPE:
                    continue  # records were overwritten before we read them; the next read resumes
                raise CollectorUnavailable(f"kmsg: read failed ({exc.strerror})") from exc
            if not chunk:
                break
            record = parse_kmsg_record(chunk.decode(errors="replace"))
            if record is None or record.sequence <= self._last_sequence:
                continue
            self._last_sequence = record.sequence
            lines.append((record.message, self._boot + timedelta(microseconds=record.monotonic_us)))
        return parse_lines(lines, "kmsg")


class JournalCollector:
    """`journalctl -k -o json` with a cursor, for nodes where the agent may not read /dev/kmsg."""

    name = "journal"

    def __init__(self, journalctl: str = "journalctl", timeout_s: float = 10) -> None:
        self.journalctl = journalctl
        self.timeout_s = timeout_s
        self._cursor: str | None = None

    def start(self) -> None:
        if shutil.which(self.journalctl) is None:
            raise CollectorUnavailable(f"journal: {self.journalctl} is not installed")

    def read_events(self) -> tuple[list[XidEvent], list[DriverEvent]]:
        args = [self.journalctl, "-k", "-o", "json", "--no-pager"]
        args += [f"--after-cursor={self._cursor}"] if self._cursor else ["-b"]
        try:
            out = subprocess.run(args, capture_output=True, text=True, timeout=self.timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CollectorUnavailable(f"journal: {exc}") from exc
        lines, cursor = parse_journal_json(out.stdout)
        self._cursor = cursor or self._cursor
        return parse_lines(lines, "journal")


def parse_journal_json(text: str) -> tuple[list[tuple[str, datetime]], str | None]:
    """Messages and realtime stamps from `journalctl -o json` output; malformed entries are skipped."""
    lines, cursor = [], None
    for raw in text.splitlines():
        try:
            entry = json.loads(raw)
            message, stamp = entry["MESSAGE"], int(entry["__REALTIME_TIMESTAMP"])
            when = datetime.fromtimestamp(stamp / 1e6, UTC)
        except (ValueError, KeyError, TypeError, OverflowError, OSError):
            continue
        if isinstance(message, list):  # journald stores non-UTF-8 messages as byte arrays
            message = bytes(b for b in message if isinstance(b, int) and 0 <= b < 256)
            message = message.decode(errors="replace")
        cursor = entry.get("__CURSOR", cursor)
        lines.append((str(message), when))
    return lines, cursor
