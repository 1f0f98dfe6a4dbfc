"""Server-side judgement of one report: the agent's own check functions re-run against the inventory.

Why re-run them here rather than trust the agent's `findings`: the control plane knows how many GPUs the
inventory says a node has (the agent often does not), and it always reads XIDs through *its* catalog, so
an agent with a stale catalog cannot mislabel a fault and an unknown XID is still kept as "unknown XID n".
Checks that need history the server does not keep (PCIe replay rate, hung workload, a blind collector,
network link counters between two readings) are taken from the agent as reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from msgspec.structs import replace

from fleetops.agent.checks import Thresholds, check_clocks, check_links, check_memory
from fleetops.agent.event_checks import check_driver_events, check_presence, check_xids
from fleetops.catalog import XidCatalog
from fleetops.wire import Finding, FindingKind, NodeReport, Severity

# Faults reported once, when they happen (a kernel line is read once); everything else is a condition
# seen in every report while it lasts and resolved by the first report without it.
EVENT_CHECKS = frozenset(
    {
        FindingKind.XID.value,
        FindingKind.DRIVER_ERROR.value,
        FindingKind.FALLEN_OFF_BUS.value,
        "qualification_failed",  # one per failed run; closed by a later passed run (health.qualification)
    }
)
AGENT_ONLY = frozenset(
    {
        FindingKind.PCIE_REPLAY_RATE,
        FindingKind.HUNG_WORKLOAD,
        FindingKind.COLLECTOR_DOWN,
        FindingKind.NETWORK_LINK_FLAP,  # counters between two sysfs readings only the agent holds
        FindingKind.NETWORK_LINK_ERRORS,
    }
)
CLOCK_SKEW = "clock_skew"
NODE_SILENT = "node_silent"
SKEW_LIMIT_S = 120.0
DEFAULT_LIMITS = Thresholds()


@dataclass(frozen=True, slots=True)
class Observation:
    """A finding as the control plane keeps it: flat, keyed, and typed by whether it is an event."""

    key: str
    check: str
    severity: str
    title: str
    action: str
    owner: str
    summary: str
    gpu_index: int | None = None
    xid: int | None = None
    source: str = "agent"

    @property
    def event(self) -> bool:
        return self.check in EVENT_CHECKS


def _title(finding: Finding, catalog: XidCatalog) -> str:
    if finding.xid is not None:
        return catalog.lookup(finding.xid).title
    return finding.kind.value.replace("_", " ")


def observe(finding: Finding, catalog: XidCatalog, source: str = "agent") -> Observation:
    sub = (
        finding.xid
        if finding.xid is not None
        else finding.details.get("kind", finding.details.get("link", "-"))
    )
    gpu = "-" if finding.gpu_index is None else finding.gpu_index
    return Observation(
        key=f"{finding.kind.value}:{gpu}:{sub}"[:128],
        check=finding.kind.value,
        severity=finding.severity.value,
        title=_title(finding, catalog)[:200],
        action=finding.action.value,
        owner=finding.owner.value,
        summary=finding.summary,
        gpu_index=finding.gpu_index,
        xid=finding.xid,
        source=source,
    )


def _indexed_events(report: NodeReport) -> tuple[list, list]:
    """Give kernel events the GPU index of their PCI address, as the agent does, for older agents."""
    if not report.xid_events and not report.driver_events:
        return report.xid_events, report.driver_events
    by_bus = {gpu.pci_bus_id: gpu.index for gpu in report.gpus if gpu.pci_bus_id}

    def fix(events: list) -> list:
        return [
            replace(e, gpu_index=by_bus[e.pci_bus_id])
            if e.gpu_index is None and e.pci_bus_id in by_bus
            else e
            for e in events
        ]

    return fix(report.xid_events), fix(report.driver_events)


def evaluate(
    report: NodeReport, inventory_gpus: int, catalog: XidCatalog, limits: Thresholds | None = None
) -> list[Observation]:
    """Every finding this report supports, deduplicated by key (one XID 79 storm is one finding)."""
    limits = limits or DEFAULT_LIMITS
    xids, drivers = _indexed_events(report)
    agent_only = [f for f in report.findings if f.kind in AGENT_ONLY]
    blind = not report.gpus and any(f.kind == FindingKind.COLLECTOR_DOWN for f in agent_only)
    found = check_presence(report.gpus, None if blind else inventory_gpus, drivers, xids)
    for gpu in report.gpus:
        if not gpu.lost:
            found += check_memory(gpu, limits)
            found += check_clocks(gpu)
            found += check_links(gpu, limits)
    found += check_driver_events(drivers) + check_xids(xids, catalog)
    observed = {obs.key: obs for obs in (observe(f, catalog, "control-plane") for f in found)}
    for finding in agent_only:
        observed.setdefault(observe(finding, catalog).key, observe(finding, catalog))
    return list(observed.values())


def skew_observation(skew_s: float) -> Observation:
    return Observation(
        key=f"{CLOCK_SKEW}:-:-",
        check=CLOCK_SKEW,
        severity=Severity.INFO.value,
        title="clock skew",
        action="investigate_software",
        owner="driver/system",
        summary=f"report collected {skew_s:.0f} s in the future of the control plane's clock: check NTP",
        source="control-plane",
    )


def silent_observation(last_report_at: datetime | None, window_s: float) -> Observation:
    since = (
        "never reported" if last_report_at is None else f"last report {last_report_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    return Observation(
        key=f"{NODE_SILENT}:-:-",
        check=NODE_SILENT,
        severity=Severity.WARNING.value,
        title="node silent",
        action="investigate_software",
        owner="unknown",
        summary=f"no agent report for over {window_s:.0f} s ({since}): agent, network or node down",
        source="control-plane",
    )
