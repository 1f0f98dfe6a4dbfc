"""The world a soak plays in: which hosts are really faulty, what their agents report, and what the
remediation fakes' calls did to them (a GPU reset, a reboot or a power-cycle cures what it can cure).

The control plane never reads this: it sees only agent reports (through health ingest) and the fakes'
answers. The world reads the fakes' call logs (`observe`) the way a node would feel a reset, and keeps the
fake verifier honest: a host whose fault is still there fails its qualification.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select

from fleetops.adapters.redfish.bmcs import locate
from fleetops.db.session import Database
from fleetops.inventory.choices import ClusterState, NodeState
from fleetops.inventory.models import Cluster, Gpu, Node
from fleetops.inventory.placement import Placement, placements
from fleetops.remediation.fakes import DRAINED, FakeWorld
from fleetops.sim.faults import healthy_gpu, node_report
from fleetops.sim.scenario import RETURN_SHARE, Cure, TrueFault, return_after_s
from fleetops.wire import GpuReading, NodeReport

SYSTEM = "/redfish/v1/Systems/1"  # the one system of each fake BMC (`FakeWorld.bmc`)
RESETS = {"GracefulRestart": Cure.REBOOT, "ForceRestart": Cure.REBOOT, "PowerCycle": Cure.POWER_CYCLE}
RESET_S, BOOT_S = 60.0, 600.0  # when a GPU reset / a reboot has taken effect (the fakes' durations)
RETURN_IDS = 100_000  # a fault that comes back is fault id + this (times the returns)
Schedule = Callable[[datetime, Callable[[datetime], None]], None]


@dataclass(frozen=True)
class Host:
    hostname: str
    node_id: int
    uuids: tuple[str, ...]
    bmc: str
    place: Placement  # rack, cluster, supplier: `inventory.placement`, the one lookup
    state: str  # the inventory state at the start of the soak

    @property
    def reports(self) -> bool:
        """Nodes with the supplier (RMA) at the start run no agent."""
        return self.state not in (NodeState.RMA.value, NodeState.DECOMMISSIONED.value)


def load_hosts(database: Database) -> list[Host]:
    """The nodes of the active clusters with their GPUs and BMC, and where each is, in node id order."""
    with database.transaction() as session:
        rows = session.execute(
            select(Node.id, Node.hostname, Node.bmc_address, Gpu.uuid)
            .join(Cluster, Cluster.id == Node.cluster_id)
            .join(Gpu, Gpu.node_id == Node.id)
            .where(Cluster.state == ClusterState.ACTIVE)
            .order_by(Node.id, Gpu.index)
        ).all()
        places = placements(session, {row.hostname for row in rows})
    uuids: dict[int, list[str]] = {}
    for node_id, _, _, uuid in rows:
        uuids.setdefault(node_id, []).append(uuid)
    hosts = {
        node_id: Host(
            hostname,
            node_id,
            tuple(uuids[node_id]),
            bmc or "",
            places[hostname],
            places[hostname].state.value,
        )
        for node_id, hostname, bmc, _ in rows
    }
    return list(hosts.values())


@dataclass
class World:
    hosts: dict[str, Host]
    fakes: FakeWorld
    rng: random.Random
    schedule: Schedule
    active: dict[str, TrueFault] = field(default_factory=dict)  # host → the fault its reports show
    silenced: dict[str, set[int]] = field(default_factory=dict)  # host → silent faults covering it
    showing: set[int] = field(default_factory=set)  # flapping faults in an episode now
    faults: list[TrueFault] = field(default_factory=list)  # every fault that struck (returns included)
    dropped: list[TrueFault] = field(default_factory=list)  # struck a host already faulty
    changed: set[str] = field(default_factory=set)  # hosts whose next report must go out now
    _announced: set[tuple[int, str]] = field(default_factory=set)  # (fault, host) whose XIDs went out
    _seen: dict[str, int] = field(default_factory=dict)  # how far each fake's call log was read
    _by_bmc: dict[str, str] = field(default_factory=dict)
    _readings: dict[tuple[str, bool], list[GpuReading]] = field(default_factory=dict)  # healthy, drawn once

    def __post_init__(self) -> None:
        self._by_bmc = {locate(h.bmc)[0]: h.hostname for h in self.hosts.values() if h.bmc}

    # Faults coming and going.
    def strike(self, fault: TrueFault, now: datetime) -> None:
        """A fault begins; a host shows one fault at a time (one that already shows another keeps it, and a
        fault with no host left to show on is dropped), while silences cover whatever the hosts had."""
        hosts = [h for h in fault.hosts if h not in self.active]
        if fault.effect != "silent" and not hosts:
            self.dropped.append(fault)
            return
        self.faults.append(fault)
        for host in fault.hosts if fault.effect == "silent" else hosts:
            if fault.effect == "silent":
                self.silenced.setdefault(host, set()).add(fault.id)
                if fault.name == "rack_power":
                    self._bmc_reachable(host, False)
            else:
                self.active[host] = fault
            self.changed.add(host)
        if fault.fails_once:
            self.fakes.verifier.fail_once.update(fault.hosts)
        for on, off in fault.episodes:
            self.schedule(fault.at + timedelta(seconds=on), partial(self._episode, fault, True))
            last = (on, off) == fault.episodes[-1] and fault.cure is Cure.PART
            if not last:  # a flapping part that fails for good stays down after its last episode
                self.schedule(fault.at + timedelta(seconds=off), partial(self._episode, fault, False))
        if fault.lasts_s is not None and not (fault.episodes and fault.cure is Cure.PART):
            ends = fault.at + timedelta(seconds=fault.lasts_s)
            self.schedule(ends, partial(self.end, fault, how="ended by itself"))
        self._sync_verifier()

    def _episode(self, fault: TrueFault, on: bool, now: datetime) -> None:
        if fault.ended_at is not None:
            return
        (self.showing.add if on else self.showing.discard)(fault.id)
        if on:
            for host in fault.hosts:
                self._announced.discard((fault.id, host))  # a new episode logs its XID again
        self.changed.update(fault.hosts)
        self._sync_verifier()

    def end(self, fault: TrueFault, now: datetime, how: str) -> None:
        if fault.ended_at is not None:
            return
        fault.ended_at, fault.ended_by = now, how
        self.showing.discard(fault.id)
        for host in fault.hosts:
            if self.active.get(host) is fault:
                del self.active[host]
            covering = self.silenced.get(host)
            if covering and fault.id in covering:
                covering.discard(fault.id)
                if fault.name == "rack_power":
                    self._bmc_reachable(host, True)
            self.changed.add(host)
        self._sync_verifier()
        # A repair of ours holds for hours, then the same fault is back (twice at most).
        if how.startswith("cured by") and fault.returns < 2 and self.rng.random() < RETURN_SHARE:
            at = now + timedelta(seconds=return_after_s(self.rng))
            again = replace(
                fault,
                id=fault.id + RETURN_IDS,
                fault=replace(fault.fault, at=at),
                returns_of=fault.id,
                returns=fault.returns + 1,
                ended_at=None,
                ended_by="",
            )
            self.schedule(at, partial(self.strike, again))

    # What the fakes did to the hosts.
    def observe(self, now: datetime) -> None:
        """Read the fakes' call logs since last time: each reset, reboot or power-cycle cures what it can
        once it has taken effect."""
        resets = self.fakes.gpu.resets
        for host, gpu in resets[self._seen.get("gpu", 0) :]:
            self.schedule(now + timedelta(seconds=RESET_S), partial(self.cure, host, Cure.RESET, gpu))
        self._seen["gpu"] = len(resets)
        for base, system in self.fakes.systems.items():
            key, booted = f"bmc:{base}", self._by_bmc.get(base)
            for reset in system.resets[self._seen.get(key, 0) :]:
                level = RESETS.get(reset)
                if booted and level:
                    self.schedule(now + timedelta(seconds=BOOT_S), partial(self.cure, booted, level, None))
            self._seen[key] = len(system.resets)

    def cure(self, host: str, level: Cure, gpu: int | None, now: datetime) -> None:
        """An action of ours took effect: it ends the host's fault if it is strong enough (a GPU reset only
        on that GPU); a reboot brings a flapping GPU back on the bus until its next episode."""
        fault = self.active.get(host)
        if fault is not None and (level > Cure.RESET or gpu is None or gpu == fault.fault.gpu):
            if fault.episodes and fault.id in self.showing and level >= Cure.RESET:
                self._episode(fault, False, now)
            elif not fault.episodes and Cure.SELF < fault.cure <= level:
                self.end(fault, now, f"cured by {level.name.lower()}")
        for fault_id in list(self.silenced.get(host, ())):
            silent = next(f for f in self.faults if f.id == fault_id)
            if not silent.correlated and Cure.SELF < silent.cure <= level:
                self.end(silent, now, f"cured by {level.name.lower()}")

    def replace_part(self, host: str, now: datetime, holds: bool) -> bool:
        """The supplier's repair: ends the host's fault, unless the new part is bad too (`holds` False).
        Returns whether there was anything wrong (False: no fault found)."""
        found = self.fault_on(host)
        if found is None:
            return False
        if holds:
            self.end(found, now, "the supplier replaced the part")
        return True

    def fix_by_hand(self, host: str, now: datetime) -> bool:
        found = self.fault_on(host)
        if found is not None:
            self.end(found, now, "fixed by a person")
        return found is not None

    def fault_on(self, host: str) -> TrueFault | None:
        """The fault a repair of this one host would deal with (not a rack's or fabric's)."""
        fault = self.active.get(host)
        if fault is not None and not fault.correlated:
            return fault
        silent = [f for f in self.faults if f.id in self.silenced.get(host, ()) and not f.correlated]
        return silent[0] if silent else None

    def outage_on(self, host: str) -> TrueFault | None:
        """A correlated failure silencing this host (its rack's switch or power), if any."""
        covering = self.silenced.get(host, set())
        return next((f for f in self.faults if f.id in covering and f.correlated), None)

    # What the agents send.
    def silent(self, host: str) -> bool:
        return bool(self.silenced.get(host)) or not self.hosts[host].reports

    def reporting(self) -> list[str]:
        return [h for h in self.hosts if not self.silent(h)]

    def sick(self) -> list[str]:
        """Hosts whose reports show something: they send a full report every cycle."""
        return [h for h, f in self.active.items() if not self.silent(h) and self._shows(f)]

    def _shows(self, fault: TrueFault) -> bool:
        return not fault.episodes or fault.id in self.showing

    def report(self, hostname: str, now: datetime, rng: random.Random) -> NodeReport | None:
        host = self.hosts[hostname]
        fault = self.active.get(hostname)
        fault = fault if fault is not None and self._shows(fault) else None
        first = fault is not None and (fault.id, hostname) not in self._announced
        if fault is not None:
            self._announced.add((fault.id, hostname))
        busy = self.fakes.scheduler.nodes.get(hostname) != DRAINED
        readings = self._readings.get((hostname, busy))
        if readings is None:
            readings = [healthy_gpu(uuid, i, rng, busy) for i, uuid in enumerate(host.uuids)]
            self._readings[(hostname, busy)] = readings
        injected = fault.fault if fault is not None else None
        return node_report(hostname, host.uuids, now, rng, injected, busy, first, readings)

    def _sync_verifier(self) -> None:
        """A qualification under load fails on a host whose fault is still there, or that cannot report."""
        failing = {h for h, f in self.active.items() if f.cure is not Cure.SELF and self._shows(f)}
        failing |= {h for h, covering in self.silenced.items() if covering}
        self.fakes.verifier.failing = failing

    def _bmc_reachable(self, host: str, reachable: bool) -> None:
        """A rack without power has BMCs without power too: every call to them fails until it is back."""
        base = locate(self.hosts[host].bmc)[0]
        self.fakes.bmc(base).fail_next[SYSTEM] = 0 if reachable else 10**9
