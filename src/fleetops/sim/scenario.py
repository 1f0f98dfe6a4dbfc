"""What a soak throws at a fleet, drawn from a seed: the ground truth its records are judged against.

The published mix (`sim.faults`, Llama 3 Table 5, at its rate per node-day) becomes `TrueFault`s with a
cure: what really ends each one. The paper gives root causes, not repair outcomes, so the cures are this
module's stated assumptions (`CURES`): a GPU fault that a reset or reboot clears, or a part that stays broken
until the supplier replaces it. On top come what real fleets have and `sim day` lacks: flapping GPUs, repairs
that do not hold, correlated failures (a ToR switch, a rack's power, a cluster's fabric), customer jobs
that crash GPUs; and the control plane's own world: PagerDuty answering 5xx for an hour, a restart, a
worker killed mid-step, a fleet-wide silence (a network partition or the control plane down, by seed).
Each of those extras happens at least once in any soak, so one simulated day exercises every mechanism.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

from fleetops.sim.faults import LLAMA3_MIX, Fault, FaultInjector, FaultKind

KINDS = {kind.name: kind for kind in LLAMA3_MIX}
# Correlated failures silence a whole rack (the supplier fixes the switch or the power on their own ticket).
TOR_SWITCH = FaultKind("tor_switch", "ToR switch", "Network", 0, 0.0, "silent")
RACK_POWER = FaultKind("rack_power", "Rack power", "Power", 0, 0.0, "silent")
# A fleet-wide silence is one fault too: a partition silences every host; the control plane's own outage
# touches no host, but whatever fleetops makes of it afterwards is counted against it.
PARTITION = FaultKind("partition", "Network partition", "Network", 0, 0.0, "silent")
CONTROL_PLANE_DOWN = FaultKind(
    "control_plane_down", "Control plane down", "Control plane", 0, 0.0, "invisible"
)
SILENCE_IDS = 50_000  # the fleet-wide silence's fault id (drawn faults count from 1)


class Cure(IntEnum):
    """What ends a fault, weakest first: each of our actions also cures what a weaker one would."""

    SELF = 0  # ends by itself (the customer restarts the job, the maintenance is over)
    RESET = 1  # a GPU reset
    REBOOT = 2
    POWER_CYCLE = 3
    PART = 4  # only the supplier replacing the part (the RMA turnaround)


# Odds of each cure by kind (and for two kinds by variant, which picks the XID the fault shows).
CURES: dict[str, tuple[tuple[Cure, float], ...]] = {
    "faulty_gpu:79": ((Cure.REBOOT, 0.6), (Cure.PART, 0.4)),  # fallen off the bus
    "faulty_gpu:74": ((Cure.PART, 1.0),),  # NVLink: cable or switch tray
    "faulty_gpu:109": ((Cure.RESET, 0.7), (Cure.PART, 0.3)),
    "gpu_hbm3:64": ((Cure.PART, 1.0),),  # row remapping failed: the GPU goes back
    "gpu_hbm3:48": ((Cure.RESET, 1.0),),  # remapped on reset (a third fail qualification once)
    "software_bug": ((Cure.SELF, 1.0),),
    "network_switch_cable": ((Cure.SELF, 1.0),),
    "host_maintenance": ((Cure.POWER_CYCLE, 0.5), (Cure.SELF, 0.5)),
    "gpu_sram": ((Cure.RESET, 0.8), (Cure.PART, 0.2)),
    "gpu_system_processor": ((Cure.RESET, 0.9), (Cure.REBOOT, 0.1)),
    "nccl_watchdog": ((Cure.SELF, 1.0),),
    "silent_data_corruption": ((Cure.SELF, 1.0),),  # invisible to node telemetry: not measured
    "dependency": ((Cure.SELF, 1.0),),
}
DEFAULT_CURE = ((Cure.PART, 1.0),)  # host parts: NIC, SSD, PSU, chassis, CPU, memory, IO board, thermal
HBM_FAILS_ONCE = 0.3  # a DBE reset that does not hold at its first qualification (as `sim day`)
RETURN_SHARE = 0.15  # a repair of ours that holds for hours, then the same fault is back
BAD_PART_SHARE = 0.1  # the supplier's replacement does not fix it: the same ticket comes back to them
SELF_MINUTES = (10, 90)  # how long a fault that ends by itself lasts
# Per 1,000 nodes a day; each also happens at least once in any soak.
EXTRA_RATES = {"flapping": 0.1, "tor_switch": 0.05, "rack_power": 0.03, "fabric": 0.02, "customer_job": 0.1}
DISRUPTIONS = ("pagerduty_outage", "restart", "worker_killed", "outbox_killed", "fleet_silence")


def _code(kind: FaultKind, variant: int) -> str:
    """The key into CURES: the kind, with the XID where the variant decides it (`sim.faults.EFFECTS`)."""
    if kind.effect == "gpu_fault":
        return f"{kind.name}:{(79, 74, 109)[variant % 3]}"
    if kind.effect == "hbm":
        return f"{kind.name}:{64 if variant % 4 == 0 else 48}"
    return kind.name


def draw_cure(kind: FaultKind, variant: int, rng: random.Random) -> Cure:
    odds = CURES.get(_code(kind, variant), DEFAULT_CURE)
    return rng.choices([c for c, _ in odds], weights=[w for _, w in odds])[0]


@dataclass
class TrueFault:
    """Something really wrong in the simulated world, on one host or several (a correlated failure)."""

    id: int
    name: str  # the mix's kind, or flapping, tor_switch, rack_power, fabric, customer_job
    fault: Fault  # what the hosts' reports show (`sim.faults.EFFECTS`), from the injector's vocabulary
    hosts: tuple[str, ...]
    cure: Cure
    lasts_s: float | None = None  # a fault that ends by itself (or a correlated one's repair) ends then
    returns_of: int | None = None  # the fault this one is the return of (a repair that did not hold)
    returns: int = 0
    episodes: list[tuple[float, float]] = field(default_factory=list)  # flapping: (on, off) seconds
    fails_once: bool = False
    ended_at: datetime | None = None
    ended_by: str = ""

    @property
    def at(self) -> datetime:
        return self.fault.at

    @property
    def correlated(self) -> bool:
        return len(self.hosts) > 1

    @property
    def effect(self) -> str:
        return self.fault.kind.effect

    @property
    def visible(self) -> bool:
        """Whether node telemetry can see it at all (silent data corruption cannot)."""
        return self.effect != "invisible"


@dataclass(frozen=True)
class Disruption:
    kind: str  # one of DISRUPTIONS; fleet_silence is "partition" or "control_plane_down" in `variant`
    at: datetime
    lasts_s: float = 0.0
    variant: str = ""


@dataclass(frozen=True)
class Topology:
    """Where hosts are, as the soak needs it to pick correlated victims."""

    hosts: tuple[str, ...]
    racks: dict[str, tuple[str, ...]]
    clusters: dict[str, tuple[str, ...]]


@dataclass
class Scenario:
    faults: list[TrueFault]
    disruptions: list[Disruption]


def _fault(kind: str, host_index: int, gpu: int, at: datetime, variant: int) -> Fault:
    return Fault(KINDS[kind], host_index, gpu, at, variant)


class Drawer:
    """Draws a scenario; the same seed and fleet give the same scenario."""

    def __init__(self, topology: Topology, seed: int, start: datetime, span: timedelta, intensity: float):
        self.topology, self.start, self.span = topology, start, span
        self.rng = random.Random(seed * 7919 + 17)
        self.seed, self.intensity = seed, intensity
        self.faults: list[TrueFault] = []

    def _add(self, name: str, fault: Fault, hosts: tuple[str, ...], cure: Cure, **extra: object) -> TrueFault:
        made = TrueFault(len(self.faults) + 1, name, fault, hosts, cure, **extra)  # type: ignore[arg-type]
        self.faults.append(made)
        return made

    def _when(self, margin_s: float = 3600) -> datetime:
        """A moment in the span, away from its ends so the consequences play out before the soak stops."""
        total = self.span.total_seconds()
        low, high = min(margin_s, total / 4), max(min(margin_s, total / 4), total - 2 * margin_s)
        return self.start + timedelta(seconds=self.rng.uniform(low, high))

    def _early(self) -> datetime:
        """A moment after the first hour and in the first three quarters of the span."""
        total = self.span.total_seconds()
        return self.start + timedelta(seconds=self.rng.uniform(min(3600, total / 8), 0.75 * total))

    def _minutes(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high) * 60

    def mix(self) -> None:
        """The published mix at its rate, each fault with a drawn cure."""
        hosts = self.topology.hosts
        injector = FaultInjector(seed=self.seed, intensity=self.intensity)
        for fault in injector.draw(len(hosts), self.start, self.span):
            cure = draw_cure(fault.kind, fault.variant, self.rng)
            lasts = self._minutes(*SELF_MINUTES) if cure is Cure.SELF else None
            dbe = _code(fault.kind, fault.variant) == "gpu_hbm3:48"
            fails_once = dbe and self.rng.random() < HBM_FAILS_ONCE
            host = (hosts[fault.node],)
            self._add(fault.kind.name, fault, host, cure, lasts_s=lasts, fails_once=fails_once)

    def persistent_hardware(self) -> None:
        """A row-remap failure (a GPU only the supplier can replace, seen in every report) if the mix drew
        no persistent fault that health re-reports: it is the case that looped in the RMA loop."""
        persistent = [f for f in self.faults if f.cure is Cure.PART and f.effect in ("hbm", "gpu_missing")]
        if not persistent:
            index = self.rng.randrange(len(self.topology.hosts))
            fault = _fault("gpu_hbm3", index, self.rng.randrange(8), self._when(1800), 0)
            self._add("gpu_hbm3", fault, (self.topology.hosts[index],), Cure.PART)

    def _count(self, per_thousand_day: float) -> int:
        days = self.span.total_seconds() / 86400
        return max(1, round(per_thousand_day * len(self.topology.hosts) / 1000 * days))

    def extras(self) -> None:
        topology, rng = self.topology, self.rng
        big_racks = [r for r, members in sorted(topology.racks.items()) if len(members) >= 4]
        big_clusters = [c for c, members in sorted(topology.clusters.items()) if len(members) >= 16]
        for _ in range(self._count(EXTRA_RATES["flapping"])):
            index = rng.randrange(len(topology.hosts))
            fault = _fault("faulty_gpu", index, rng.randrange(8), self._when(), 0)  # XID 79, GPU lost
            episodes, on = [], 0.0
            for _ in range(rng.randint(3, 6)):
                up = self._minutes(5, 20)
                episodes.append((on, on + up))
                on += up + self._minutes(20, 120)
            cure = Cure.PART if rng.random() < 0.5 else Cure.SELF
            self._add("flapping", fault, (topology.hosts[index],), cure, lasts_s=on, episodes=episodes)
        for kind, minutes in ((TOR_SWITCH, (30, 240)), (RACK_POWER, (20, 120))):
            for _ in range(self._count(EXTRA_RATES[kind.name])):
                rack = topology.racks[rng.choice(big_racks)]
                fault = Fault(kind, 0, 0, self._when(), 0)
                self._add(kind.name, fault, rack, Cure.SELF, lasts_s=self._minutes(*minutes))
        for _ in range(self._count(EXTRA_RATES["fabric"])):
            cluster = topology.clusters[rng.choice(big_clusters)]
            hit = tuple(sorted(rng.sample(cluster, max(2, len(cluster) // 4))))
            fault = _fault("faulty_gpu", 0, rng.randrange(8), self._when(), 1)  # XID 74 NVLink
            self._add("fabric", fault, hit, Cure.PART, lasts_s=self._minutes(4 * 60, 24 * 60))
        for _ in range(self._count(EXTRA_RATES["customer_job"])):
            cluster = topology.clusters[rng.choice(big_clusters)]
            hit = tuple(sorted(rng.sample(cluster, min(len(cluster), rng.randint(8, 24)))))
            fault = _fault("software_bug", 0, rng.randrange(8), self._when(), rng.randrange(12))
            self._add("customer_job", fault, hit, Cure.SELF, lasts_s=self._minutes(*SELF_MINUTES))

    def disruptions(self) -> list[Disruption]:
        """One of each, in the first three quarters of the span (a kill waits for the next call to die in).
        PagerDuty goes down 10 minutes before the fleet-wide silence, when its page is needed most."""
        silence = "partition" if self.seed % 2 else "control_plane_down"
        silent_at = self._early()
        return sorted(
            [
                Disruption("pagerduty_outage", silent_at - timedelta(minutes=10), 3600),
                Disruption("restart", self._early(), 60),
                Disruption("worker_killed", self._early()),
                Disruption("outbox_killed", self._early()),
                Disruption("fleet_silence", silent_at, 600, silence),
            ],
            key=lambda d: d.at,
        )


def draw(topology: Topology, seed: int, start: datetime, span: timedelta, intensity: float = 1.0) -> Scenario:
    """The soak's scenario: the mix, a persistent hardware fault at least, the extras, the disruptions."""
    drawer = Drawer(topology, seed, start, span, intensity)
    drawer.mix()
    drawer.persistent_hardware()
    drawer.extras()
    faults = sorted(drawer.faults, key=lambda f: (f.at, f.id))
    return Scenario(faults, drawer.disruptions())


def rma_turnaround_s(rng: random.Random) -> float:
    """The supplier's repair time once a ticket is open: lognormal, median 2 days (sigma 0.6: p90 ~4.3
    days), capped at 5 days, at least 4 hours (a part is rarely on site)."""
    days = math.exp(math.log(2.0) + 0.6 * rng.gauss(0, 1))
    return max(4 * 3600, min(5 * 86400, days * 86400))


def no_fault_found_s(rng: random.Random) -> float:
    """A ticket for a node the supplier finds nothing wrong with is closed after 4 to 24 hours."""
    return rng.uniform(4, 24) * 3600


def check_s(rng: random.Random) -> float:
    """The supplier looks at an alert ticket (and again, while its nodes are not right) every 2-8 hours."""
    return rng.uniform(2, 8) * 3600


def oncall_delay_s(rng: random.Random) -> float:
    """The on-call person answers a page in 15 to 90 minutes."""
    return rng.uniform(15, 90) * 60


def return_after_s(rng: random.Random) -> float:
    """A repair that does not hold lasts 2 to 24 hours."""
    return rng.uniform(2, 24) * 3600
