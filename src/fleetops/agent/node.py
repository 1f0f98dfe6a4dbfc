"""One collection cycle on a node: ask every collector, reconcile, judge, and produce a `NodeReport`.

The agent never stops because a source is missing: a node without a GPU driver still reports (with
`collectors` saying which source failed and why), so the control plane tells "silent" from "blind".
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msgspec.structs import replace

from fleetops import clock
from fleetops.agent import AGENT_VERSION
from fleetops.agent.checks import CheckState, Thresholds, run_checks
from fleetops.agent.collectors import CollectorUnavailable, EventCollector, GpuCollector
from fleetops.agent.collectors.kmsg import JournalCollector, KmsgCollector
from fleetops.agent.collectors.links import SysfsLinks
from fleetops.agent.collectors.nvml import NvmlCollector, NvmlXidEvents
from fleetops.agent.collectors.smi_xml import SmiXmlCollector
from fleetops.agent.link_checks import LinkState, check_network_links
from fleetops.catalog import XidCatalog, default_catalog
from fleetops.catalog.links import default_links
from fleetops.wire import (
    Action,
    CollectorStatus,
    DriverEvent,
    Finding,
    FindingKind,
    GpuReading,
    GpuResetResult,
    NodeReport,
    QualificationResult,
    Severity,
    XidEvent,
)

log = logging.getLogger(__name__)


@dataclass(slots=True)
class AgentConfig:
    server: str | None = None
    token: str | None = None
    hostname: str = field(default_factory=socket.gethostname)
    interval_s: float = 30.0
    spool_dir: Path = Path("/var/lib/fleetops-agent/spool")
    spool_max_files: int = 10_000
    spool_max_bytes: int = 256 * 1024 * 1024
    metrics_addr: str = "0.0.0.0"
    metrics_port: int | None = 9410
    expected_gpus: int | None = None
    kmsg_path: str = "/dev/kmsg"
    sysfs_root: Path = Path("/sys")
    qualify_every_s: float = 7 * 86_400.0
    qualify_duration_s: float = 60.0
    thresholds: Thresholds = field(default_factory=Thresholds)


def _attach_index(events: list[Any], gpus: list[GpuReading]) -> list[Any]:
    """Kernel lines name a PCI address; give each event the GPU index the rest of the report uses."""
    by_bus = {gpu.pci_bus_id: gpu.index for gpu in gpus if gpu.pci_bus_id}
    return [
        replace(event, gpu_index=by_bus[event.pci_bus_id])
        if event.gpu_index is None and event.pci_bus_id in by_bus
        else event
        for event in events
    ]


class NodeAgent:
    def __init__(
        self,
        config: AgentConfig,
        gpu_collectors: list[Any],
        event_collectors: list[Any],
        catalog: XidCatalog | None = None,
        links: SysfsLinks | None = None,
    ) -> None:
        self.config = config
        self.gpu_collectors: list[GpuCollector] = []
        self.event_collectors: list[EventCollector] = []
        self.statuses: dict[str, CollectorStatus] = {}
        self.catalog = catalog or default_catalog()
        self.state = CheckState()
        self.driver_version: str | None = None
        self._start(gpu_collectors, self.gpu_collectors)
        self._start(event_collectors, self.event_collectors, first_only=True)
        self.links: list[SysfsLinks] = []
        self.link_state = LinkState()
        self._start([links] if links is not None else [], self.links)

    def _start(self, candidates: list[Any], started: list[Any], first_only: bool = False) -> None:
        for collector in candidates:
            if first_only and started:
                break  # one kernel-log source is enough; two would report every line twice
            try:
                collector.start()
            except CollectorUnavailable as exc:
                log.warning("%s", exc.message)
                self.statuses[collector.name] = CollectorStatus(
                    name=collector.name, ok=False, detail=exc.message
                )
                continue
            started.append(collector)
            self.statuses[collector.name] = CollectorStatus(name=collector.name, ok=True)

    def _read_gpus(self) -> list[GpuReading] | None:
        """The first GPU source that answers; NVML comes first because it is ~200x cheaper than smi."""
        for collector in self.gpu_collectors:
            try:
                readings = collector.read_gpus()
            except CollectorUnavailable as exc:
                self.statuses[collector.name] = CollectorStatus(
                    name=collector.name, ok=False, detail=exc.message
                )
                continue
            self.statuses[collector.name] = CollectorStatus(name=collector.name, ok=True)
            self.driver_version = getattr(collector, "driver_version", None) or self.driver_version
            return readings
        return None

    def _read_events(self) -> tuple[list[XidEvent], list[DriverEvent]]:
        xids: list[XidEvent] = []
        drivers: list[DriverEvent] = []
        for collector in self.event_collectors:
            try:
                more_xids, more_drivers = collector.read_events()
            except CollectorUnavailable as exc:
                self.statuses[collector.name] = CollectorStatus(
                    name=collector.name, ok=False, detail=exc.message
                )
                continue
            xids += more_xids
            drivers += more_drivers
        return xids, drivers

    def nvml(self) -> NvmlCollector | None:
        """The running NVML collector, which GPU resets ask whether a GPU is in use (None: smi fallback)."""
        return next((c for c in self.gpu_collectors if isinstance(c, NvmlCollector)), None)

    def collect(
        self, qualification: QualificationResult | None = None, gpu_resets: list[GpuResetResult] | None = None
    ) -> NodeReport:
        gpus = self._read_gpus()
        xids, drivers = self._read_events()
        xids, drivers = _attach_index(xids, gpus or []), _attach_index(drivers, gpus or [])
        findings = run_checks(
            gpus or [],
            xids,
            drivers,
            catalog=self.catalog,
            state=self.state,
            now=clock.get().monotonic(),
            expected_gpus=self.config.expected_gpus,
            limits=self.config.thresholds,
        )
        findings += self._link_findings()
        if gpus is None:
            findings.insert(0, self._blind_finding())
        return NodeReport(
            hostname=self.config.hostname,
            agent_version=AGENT_VERSION,
            collected_at=clock.now(),
            expected_gpu_count=self.config.expected_gpus,
            driver_version=self.driver_version,
            collectors=list(self.statuses.values()),
            gpus=gpus or [],
            xid_events=xids[:1000],
            driver_events=drivers[:1000],
            findings=findings[:2000],
            qualification=qualification,
            gpu_resets=gpu_resets or [],
        )

    def _link_findings(self) -> list[Finding]:
        """The passive InfiniBand and Ethernet checks: a node without the sysfs tree reports without them."""
        now = clock.get().monotonic()
        found = []
        for collector in self.links:
            found += check_network_links(collector.read_links(), default_links(), self.link_state, now)
        return found

    def _blind_finding(self) -> Finding:
        reasons = "; ".join(s.detail for s in self.statuses.values() if not s.ok) or "no GPU collector"
        return Finding(
            kind=FindingKind.COLLECTOR_DOWN,
            severity=Severity.WARNING,
            action=Action.INVESTIGATE_SOFTWARE,
            summary=f"no GPU readings this cycle: {reasons}"[:2000],
        )

    def close(self) -> None:
        for collector in [*self.gpu_collectors, *self.event_collectors]:
            close = getattr(collector, "close", None)
            if close is not None:
                close()


def default_collectors(config: AgentConfig, nvml: Any | None = None) -> tuple[list[Any], list[Any]]:
    """NVML first, nvidia-smi XML as the fallback; the kernel log first, NVML's XID events only where the
    kernel log cannot be read (both at once would report every XID twice). The network links are passed
    separately (`default_link_collector`)."""
    gpu = NvmlCollector(nvml)
    return [gpu, SmiXmlCollector()], [KmsgCollector(config.kmsg_path), JournalCollector(), NvmlXidEvents(gpu)]


def default_link_collector(config: AgentConfig) -> SysfsLinks:
    return SysfsLinks(config.sysfs_root)
