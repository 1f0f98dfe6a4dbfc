"""Fault injector: faults drawn from a published failure mix, turned into the agent reports they produce.

The default mix is Meta's root-cause table of the 419 unexpected interruptions seen in 54 days of Llama 3
405B pre-training on 16,384 H100 GPUs (2,048 eight-GPU servers): Llama Team, AI @ Meta, "The Llama 3 Herd
of Models", arXiv:2407.21783 (2024), section 3.3.4, Table 5 (https://arxiv.org/abs/2407.21783); the table is
also reproduced at https://glennklockwood.com/garden/component-reliability. Counts, not the printed
percentages, are the weights: the paper's percentages do not all equal count/419 (148/419 is 35.3 %, printed
30.1 %), and SSD and power supply are 3 each (0.7 %), not 1 %.

Rate: 419 / (2,048 nodes x 54 days) = 0.00379 faults per node-day, scaled to the simulated fleet's size
(`intensity` multiplies it, for demos that want more to look at). Each fault becomes what the node agent
would actually send: XIDs, ECC counters, a lost or missing GPU, throttle reasons, a hung collective, or no
report at all (a dead NIC, a crashed host). Silent data corruption and external dependencies produce a
clean report on purpose: node telemetry cannot see them, which is the point of burn-in qualification.
The same seed gives the same faults on the same nodes at the same times.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

import msgspec
from msgspec.structs import replace
from sqlalchemy import select

from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.db.session import Database
from fleetops.inventory.choices import ClusterState
from fleetops.inventory.models import Cluster, Gpu, Node
from fleetops.wire import (
    MAX_BATCH,
    Action,
    Ecc,
    FaultOwner,
    Finding,
    FindingKind,
    GpuReading,
    NodeReport,
    NvLink,
    PcieLink,
    RemappedRows,
    ReportBatch,
    Severity,
    XidEvent,
)


@dataclass(frozen=True, slots=True)
class FaultKind:
    name: str
    component: str
    category: str
    interruptions: int
    published_pct: float
    effect: str


# (component, category, interruptions, percent as printed) — Table 5 of arXiv:2407.21783.
LLAMA3_MIX: tuple[FaultKind, ...] = (
    FaultKind("faulty_gpu", "Faulty GPU", "GPU", 148, 30.1, "gpu_fault"),
    FaultKind("gpu_hbm3", "GPU HBM3 Memory", "GPU", 72, 17.2, "hbm"),
    FaultKind("software_bug", "Software Bug", "Dependency", 54, 12.9, "app_xid"),
    FaultKind("network_switch_cable", "Network Switch/Cable", "Network", 35, 8.4, "hung"),
    FaultKind("host_maintenance", "Host Maintenance", "Unplanned Maintenance", 32, 7.6, "silent"),
    FaultKind("gpu_sram", "GPU SRAM Memory", "GPU", 19, 4.5, "sram"),
    FaultKind("gpu_system_processor", "GPU System Processor", "GPU", 17, 4.1, "gsp"),
    FaultKind("nic", "NIC", "Host", 7, 1.7, "silent"),
    FaultKind("nccl_watchdog", "NCCL Watchdog Timeouts", "Unknown", 7, 1.7, "hung"),
    FaultKind("silent_data_corruption", "Silent Data Corruption", "GPU", 6, 1.4, "invisible"),
    FaultKind("gpu_thermal", "GPU Thermal Interface + Sensor", "GPU", 6, 1.4, "thermal"),
    FaultKind("ssd", "SSD", "Host", 3, 0.7, "silent"),
    FaultKind("power_supply", "Power Supply", "Host", 3, 0.7, "power"),
    FaultKind("server_chassis", "Server Chassis", "Host", 2, 0.5, "silent"),
    FaultKind("io_expansion_board", "IO Expansion Board", "Host", 2, 0.5, "gpu_missing"),
    FaultKind("dependency", "Dependency", "Dependency", 2, 0.5, "invisible"),
    FaultKind("cpu", "CPU", "Host", 2, 0.5, "silent"),
    FaultKind("system_memory", "System Memory", "Host", 2, 0.5, "silent"),
)
LLAMA3_SOURCE = "Llama Team, AI @ Meta, 'The Llama 3 Herd of Models', arXiv:2407.21783 (2024), Table 5"
LLAMA3_RATE_PER_NODE_DAY = 419 / (16_384 / 8 * 54)


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind
    node: int  # position in the node list the injector was given
    gpu: int
    at: datetime
    variant: int  # picks among the ways one root cause shows itself (XID 79 or an NVLink error...)


def healthy_gpu(uuid: str, index: int, rng: random.Random, busy: bool = True) -> GpuReading:
    """An H100 SXM5 at work (or idle): values in the ranges of the real captures in shared/fixtures/gpu."""
    return GpuReading(
        index=index,
        uuid=uuid,
        name="NVIDIA H100 80GB HBM3",
        pci_bus_id=f"0000:{0x18 + 0x10 * index:02x}:00",
        temperature_c=round(rng.uniform(55, 68) if busy else rng.uniform(28, 36), 1),
        memory_temperature_c=round(rng.uniform(50, 66) if busy else rng.uniform(28, 40), 1),
        power_w=round(rng.uniform(560, 690) if busy else rng.uniform(68, 75), 1),
        power_limit_w=700.0,
        sm_clock_mhz=1980 if busy else 345,
        max_sm_clock_mhz=1980,
        memory_clock_mhz=2619,
        clock_event_mask=0x4 if busy else 0x1,
        utilization_gpu_pct=100.0 if busy else 0.0,
        memory_total_bytes=85_520_809_984,
        ecc=Ecc(corrected_volatile=0, uncorrected_volatile=0, corrected_aggregate=0, uncorrected_aggregate=0),
        remapped_rows=RemappedRows(correctable=0, uncorrectable=0, pending=False, failure=False),
        pcie=PcieLink(gen=5, width=16, max_gen=5, max_width=16, replay_counter=0),
        nvlinks=[NvLink(link=n, up=True) for n in range(18)],
    )


def _xid(code: int, gpu: GpuReading, at: datetime, message: str) -> XidEvent:
    return XidEvent(
        code=code,
        gpu_index=gpu.index,
        pci_bus_id=gpu.pci_bus_id,
        occurred_at=at,
        message=message,
        raw=f"NVRM: Xid (PCI:{gpu.pci_bus_id}): {code}, pid=4242, name=python, {message}",
    )


def _hung(gpu: GpuReading) -> Finding:
    return Finding(
        kind=FindingKind.HUNG_WORKLOAD,
        severity=Severity.WARNING,
        action=Action.RESTART_APP,
        summary=f"utilization 100% but {gpu.power_w:.0f} W: collective stalled (NCCL watchdog)",
        gpu_index=gpu.index,
        gpu_uuid=gpu.uuid,
        owner=FaultOwner.APPLICATION,
        details={"cycles": 3},
    )


Effect = Callable[
    [list[GpuReading], GpuReading, Fault], tuple[list[GpuReading], list[XidEvent], list[Finding]]
]


def _gpu_fault(gpus: list[GpuReading], g: GpuReading, f: Fault) -> tuple:
    if f.variant % 3 == 0:
        lost = replace(g, lost=True, temperature_c=None, power_w=None)
        return _swap(gpus, lost), [_xid(79, g, f.at, "GPU has fallen off the bus.")], []
    if f.variant % 3 == 1:
        links = [NvLink(link=n, up=n != 4) for n in range(18)]
        return (
            _swap(gpus, replace(g, nvlinks=links)),
            [_xid(74, g, f.at, "NVLink: fatal error")],
            [],
        )
    return gpus, [_xid(46 if f.variant % 2 else 109, g, f.at, "GPU stopped processing")], []


def _hbm(gpus: list[GpuReading], g: GpuReading, f: Fault) -> tuple:
    rows = RemappedRows(
        correctable=0, uncorrectable=1, pending=f.variant % 4 != 0, failure=f.variant % 4 == 0
    )
    sick = replace(g, ecc=Ecc(uncorrected_volatile=1, uncorrected_aggregate=1), remapped_rows=rows)
    code = 64 if rows.failure else 48
    return (
        _swap(gpus, sick),
        [_xid(code, g, f.at, "An uncorrectable double bit error (DBE) has been detected")],
        [],
    )


def _swap(gpus: list[GpuReading], replacement: GpuReading) -> list[GpuReading]:
    return [replacement if gpu.index == replacement.index else gpu for gpu in gpus]


def _thermal(gpus: list[GpuReading], g: GpuReading, f: Fault) -> tuple:
    hot = replace(
        g,
        temperature_c=91.0,
        clock_event_mask=0x44,
        clock_event_reasons=["sw_power_cap", "hw_thermal_slowdown"],
        sm_clock_mhz=1110,
    )
    return _swap(gpus, hot), [], []


EFFECTS: dict[str, Effect] = {
    "gpu_fault": _gpu_fault,
    "hbm": _hbm,
    "app_xid": lambda gpus, g, f: (
        gpus,
        [_xid(13 if f.variant % 2 else 31, g, f.at, "Graphics Exception")],
        [],
    ),
    "sram": lambda gpus, g, f: (gpus, [_xid(95, g, f.at, "Uncontained: SRAM uncorrectable error")], []),
    "gsp": lambda gpus, g, f: (
        gpus,
        [_xid(119 if f.variant % 2 else 120, g, f.at, "Timeout waiting for RPC")],
        [],
    ),
    "hung": lambda gpus, g, f: (gpus, [], [_hung(x) for x in gpus]),
    "invisible": lambda gpus, g, f: (gpus, [], []),
    "thermal": _thermal,
    "power": lambda gpus, g, f: (
        [
            replace(x, clock_event_mask=0x84, clock_event_reasons=["sw_power_cap", "hw_power_brake_slowdown"])
            for x in gpus
        ],
        [],
        [],
    ),
    "gpu_missing": lambda gpus, g, f: (gpus[: len(gpus) // 2], [], []),
}


class FaultInjector:
    """Draws faults for a fleet over a span of time; the same seed draws the same faults."""

    def __init__(
        self,
        mix: Sequence[FaultKind] = LLAMA3_MIX,
        seed: int = 7,
        rate_per_node_day: float = LLAMA3_RATE_PER_NODE_DAY,
        intensity: float = 1.0,
    ) -> None:
        self.mix = tuple(mix)
        self.rng = random.Random(seed)
        self.rate = rate_per_node_day * intensity
        self.weights = [kind.interruptions for kind in self.mix]

    def _poisson(self, mean: float) -> int:
        """Knuth's method for small means, a rounded normal beyond (the fleet-size scaling stays exact)."""
        if mean > 50:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit, count, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def draw(self, nodes: int, start: datetime, span: timedelta, gpus_per_node: int = 8) -> list[Fault]:
        """Faults over `span` for `nodes` nodes, in time order."""
        days = span.total_seconds() / 86_400
        faults = []
        for _ in range(self._poisson(self.rate * nodes * days)):
            kind = self.rng.choices(self.mix, weights=self.weights)[0]
            at = start + timedelta(seconds=self.rng.uniform(0, span.total_seconds()))
            faults.append(
                Fault(
                    kind,
                    self.rng.randrange(nodes),
                    self.rng.randrange(gpus_per_node),
                    at,
                    self.rng.randrange(12),
                )
            )
        return sorted(faults, key=lambda f: f.at)


def node_report(
    hostname: str,
    gpu_uuids: Sequence[str],
    at: datetime,
    rng: random.Random,
    fault: Fault | None = None,
    busy: bool = True,
    first: bool = True,
    readings: Sequence[GpuReading] | None = None,
) -> NodeReport | None:
    """The report a node sends at `at`, healthy or showing `fault`; None when the fault silences the node.
    `readings` are the node's healthy GPU readings when the caller keeps them (drawing them is most of the
    cost of a report; a soak of 2,000 nodes sends tens of thousands an hour)."""
    gpus = (
        list(readings) if readings else [healthy_gpu(uuid, i, rng, busy) for i, uuid in enumerate(gpu_uuids)]
    )
    xids: list[XidEvent] = []
    findings: list[Finding] = []
    if fault is not None:
        if fault.kind.effect == "silent":
            return None
        target = gpus[fault.gpu % len(gpus)]
        gpus, xids, findings = EFFECTS[fault.kind.effect](gpus, target, fault)
        xids = xids if first else []  # a kernel line is read once: the XID shows in one report only
    return NodeReport(
        # A report's id is its identity at ingest, so it comes from the OS, not the seed: a restarted demo
        # worker replaying the seed re-sent 1,000 of 1,000 ids already stored, and its fleet went silent.
        report_id=uuid4(),
        hostname=hostname,
        agent_version="sim",
        collected_at=at,
        expected_gpu_count=len(gpu_uuids),
        driver_version="550.127.05",
        gpus=gpus,
        xid_events=xids,
        findings=findings,
    )


@dataclass(slots=True)
class CycleResult:
    reports: int = 0
    silent: int = 0
    new_faults: int = 0
    accepted: int = 0
    rejected: int = 0


class FleetSimulation:
    """Every node of the active clusters reporting once per cycle, with the injector's faults applied.

    A fault's XIDs appear once, in the report of the cycle it struck; its condition (a lost GPU, ECC
    counters, throttling, silence) lasts `repair` long, then the node reports clean again.
    """

    def __init__(
        self,
        database: Database,
        injector: FaultInjector | None = None,
        seed: int = 7,
        repair: timedelta = timedelta(hours=6),
    ) -> None:
        self.database = database
        self.injector = injector or FaultInjector(seed=seed)
        self.rng = random.Random(seed + 1)
        self.repair = repair
        self.hosts = self.refresh_hosts()
        self.active: dict[int, tuple[Fault, datetime]] = {}
        self.last: datetime | None = None

    def refresh_hosts(self) -> list[tuple[str, list[str]]]:
        """The reporting fleet: every node of an active cluster, with its GPUs in index order."""
        with self.database.transaction() as session:
            rows = session.execute(
                select(Node.hostname, Gpu.uuid)
                .join(Cluster, Node.cluster_id == Cluster.id)
                .join(Gpu, Gpu.node_id == Node.id)
                .where(Cluster.state == ClusterState.ACTIVE)
                .order_by(Node.hostname, Gpu.index)
            ).all()
        hosts: dict[str, list[str]] = {}
        for hostname, uuid in rows:
            hosts.setdefault(hostname, []).append(uuid)
        return list(hosts.items())

    def cycle(self, at: datetime, span: timedelta) -> CycleResult:
        result = CycleResult()
        fresh = set()
        for fault in self.injector.draw(len(self.hosts), at - span, span):
            self.active[fault.node] = (fault, fault.at + self.repair)
            fresh.add(fault.node)
            result.new_faults += 1
        reports = []
        for index, (hostname, uuids) in enumerate(self.hosts):
            current: Fault | None = None
            if index in self.active:
                current, until = self.active[index]
                if until <= at:
                    del self.active[index]
                    current = None
            made = node_report(hostname, uuids, at, self.rng, current, first=index in fresh)
            if made is None:
                result.silent += 1
            else:
                reports.append(made)
        result.reports = len(reports)
        self._post(reports, result)
        return result

    def _post(self, reports: list[NodeReport], result: CycleResult) -> None:
        accepted, rejected = post_reports(self.database, reports)
        result.accepted += accepted
        result.rejected += rejected


def post_reports(database: Database, reports: Sequence[NodeReport]) -> tuple[int, int]:
    """Post reports through the real health ingest, in batches as agents send them: (accepted, rejected)."""
    from fleetops.health.ingest import ingest

    who = Principal(Role.OPERATOR, "simulator")
    accepted = rejected = 0
    for start in range(0, len(reports), MAX_BATCH):
        payload = msgspec.json.encode(ReportBatch(reports=list(reports[start : start + MAX_BATCH])))
        with database.transaction() as session:
            outcome = ingest(session, who, payload)
        accepted += outcome.count("accepted")
        rejected += outcome.count("rejected")
    return accepted, rejected
