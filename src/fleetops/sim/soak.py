"""`fleetops sim soak`: days of a fleet's life through the production code paths, with invariants checked
as it runs and figures measured from the records at the end.

A discrete-event loop on the ManualClock: the clock jumps to the next thing due (a fault, a report cycle,
a run's next step, a notification group, a message, a person answering), never by less than the worker's
period (2 s). At each instant the agents' reports go through the real health ingest, then the worker's
production tasks run (`sim.control_plane`), then the simulated world reads what the fakes did
(`sim.world`) and the supplier and the on-call person act (`sim.people`). Every hour of simulated time,
and at the end, the invariants (`sim.invariants`) are checked from the records.

Reports: a host whose reports show a fault sends a full report every 5 minutes and at once when anything
about it changes (a fault strikes, clears, flaps; it comes back from a silence). Healthy hosts' reports
change nothing but their heartbeat, so to play 7 days of 2,000 nodes in minutes their
`node_health.last_report_at` is refreshed set-based every 4 minutes instead (one UPDATE), and every host still
sends a full clean report through ingest once an hour (a twelfth of the fleet every 5 minutes) and
whenever health has it `unknown` while it is up. Coverage (`health.coverage`) marks a node silent when its
last report is over 5 minutes old, so a host going silent gets its last heartbeat at that very moment.
"""

from __future__ import annotations

import heapq
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from fleetops import clock
from fleetops.alerts.models import Incident
from fleetops.alerts.policy import default_routes
from fleetops.config import settings
from fleetops.health.choices import HealthState
from fleetops.health.coverage import WINDOW_S
from fleetops.health.models import NodeHealth
from fleetops.remediation.fakes import DRAINED, FakeWorld
from fleetops.sim.control_plane import ControlPlane, Edges, WorkerKilled
from fleetops.sim.day import START, scratch_database
from fleetops.sim.evidence import Evidence, add_tickets, gather, incident_hosts
from fleetops.sim.faults import Fault, post_reports
from fleetops.sim.fleet import SUBPOD
from fleetops.sim.invariants import INVARIANTS, Tally, check_all
from fleetops.sim.live import DEMO_ENVIRONMENT
from fleetops.sim.measures import summary
from fleetops.sim.people import OnCall, Supplier
from fleetops.sim.scenario import (
    CONTROL_PLANE_DOWN,
    PARTITION,
    SILENCE_IDS,
    Cure,
    Disruption,
    Scenario,
    Topology,
    TrueFault,
    draw,
)
from fleetops.sim.world import Host, World, load_hosts

QUANTUM_S = 2.0  # the remediation worker's period: the clock never moves by less
REPORT_S = 300.0
HEARTBEAT_S = 240.0  # under coverage's 300 s window, and it runs before coverage in any instant
CLEAN_SLICES = 12  # a twelfth of the hosts send a full clean report each cycle: every host once an hour
CHECK_S = 3600.0
AGENT_INTERVAL_S = 30.0  # the agent's report interval: how long after a restart its spool comes in
AFTERMATH = timedelta(minutes=30)  # what fleetops does this long after its own outage is counted against it


@dataclass
class SoakResult:
    seed: int
    days: float
    nodes: int
    intensity: float
    wall_s: float
    invariants: list[dict[str, Any]]
    measures: dict[str, Any]
    scenario: dict[str, Any]
    errors: list[str]
    database: str

    @property
    def violations(self) -> int:
        return sum(i["violations"] for i in self.invariants)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "days": self.days,
            "nodes": self.nodes,
            "intensity": self.intensity,
            "wall_s": round(self.wall_s, 1),
            "violations": self.violations,
            "invariants": self.invariants,
            "measures": self.measures,
            "scenario": self.scenario,
            "task_errors": self.errors,
            "database": self.database,
        }


@contextmanager
def _simulated_routes() -> Iterator[None]:
    """The routing tree's credentials (`live.DEMO_ENVIRONMENT`): a webhook for every receiver and a PagerDuty
    routing key, as an operator configures them: without, forwards and pages would fail by configuration."""
    configured = DEMO_ENVIRONMENT
    before = {name: os.environ.get(name) for name in configured}
    os.environ.update(configured)
    settings.cache_clear()
    default_routes.cache_clear()
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings.cache_clear()
        default_routes.cache_clear()


def topology_of(hosts: list[Host]) -> Topology:
    """Fault targets: hosts in service and reporting at the start; racks and clusters for correlation."""
    ready = [h for h in hosts if h.state == "ready"]
    racks: dict[str, list[str]] = {}
    clusters: dict[str, list[str]] = {}
    for host in ready:
        racks.setdefault(host.place.rack, []).append(host.hostname)
        clusters.setdefault(str(host.place.cluster_id), []).append(host.hostname)
    return Topology(
        tuple(h.hostname for h in ready),
        {k: tuple(v) for k, v in racks.items()},
        {k: tuple(v) for k, v in clusters.items()},
    )


@dataclass
class Soak:
    seed: int
    days: float
    nodes: int
    intensity: float = 1.0
    progress: Callable[[float], None] | None = None
    directory: Path | None = None  # where the scratch database goes (a temporary folder by default)
    manual: clock.ManualClock = field(default_factory=lambda: clock.ManualClock(START))
    _queue: list[tuple[datetime, int, Callable[[datetime], None]]] = field(default_factory=list)
    _seq: int = 0

    def at(self, when: datetime, action: Callable[[datetime], None]) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (when, self._seq, action))

    def run(self) -> SoakResult:
        wall = time.perf_counter()
        previous = clock.use(self.manual)
        try:
            with _simulated_routes():
                result = self._play()
        finally:
            clock.use(previous)
        result.wall_s = time.perf_counter() - wall
        return result

    # Setting the world up.
    def _setup(self) -> None:
        self.database = scratch_database(self.seed, self.nodes + SUBPOD, "soak", self.directory)
        self.url = self.database.url
        self.rng = random.Random(self.seed)
        hosts = load_hosts(self.database)
        self.baseline = {h.node_id: h.state for h in hosts}
        fakes = FakeWorld()
        self.edges = Edges(fakes)
        self.world = World({h.hostname: h for h in hosts}, fakes, random.Random(self.seed + 1), self.at)
        self.supplier = Supplier(
            self.world, random.Random(self.seed + 2), self.at, self.edges.jira, self._incident_hosts
        )
        self.oncall = OnCall(self.world, random.Random(self.seed + 3), self.at, self.database)
        self.end = START + timedelta(days=self.days)
        self.scenario: Scenario = draw(topology_of(hosts), self.seed, START, self.end - START, self.intensity)
        for fault in self.scenario.faults:
            self.at(fault.at, partial(self._strike, fault))
        for disruption in self.scenario.disruptions:
            self.at(disruption.at, partial(self._disrupt, disruption))
        self.at(START, self._report_cycle)
        self.at(START + timedelta(seconds=CHECK_S), self._check)
        self.plane: ControlPlane | None = ControlPlane(self.url, self.edges)
        self.tallies = {i.name: Tally(i.name, i.text) for i in INVARIANTS}
        self.due_reports: set[str] = set(self.world.reporting())
        self.slice = 0
        self.last_heartbeat = START
        self.kills = self.allowed_duplicates = 0
        self.errors: list[str] = []
        # Wall seconds spent on the agents' reports, the worker's rounds and the checks.
        self.spent: dict[str, float] = dict.fromkeys(("reports", "worker", "checks"), 0.0)
        self.instants = 0

    def _play(self) -> SoakResult:
        self._setup()
        while self.manual.now() < self.end:
            now = self.manual.now()
            while self._queue and self._queue[0][0] <= now:
                _, _, action = heapq.heappop(self._queue)
                action(now)
            if self.plane is not None:
                self._instant(now)
                self.instants += 1
            self.world.observe(now)
            self.supplier.tick(now)
            self.oncall.tick(now)
            self._advance(now)
        self._check(self.manual.now())
        return self._result()

    def _advance(self, now: datetime) -> None:
        candidates = [self.end]
        if self._queue:
            candidates.append(self._queue[0][0])
        if self.plane is not None:
            due = self.plane.next_due()
            candidates += [due] if due is not None else []
        self.manual.set(max(now + timedelta(seconds=QUANTUM_S), min(candidates)))
        if self.progress:
            self.progress(min(1.0, (self.manual.now() - START) / (self.end - START)))

    # One instant of the control plane: reports in, then the worker's round.
    def _instant(self, now: datetime) -> None:
        assert self.plane is not None
        self.due_reports |= self.world.changed
        self.world.changed.clear()
        if (now - self.last_heartbeat).total_seconds() >= HEARTBEAT_S:
            self.last_heartbeat = now
            self._heartbeat(now, self.world.reporting())
        sending = [h for h in sorted(self.due_reports) if not self.world.silent(h)]
        self.due_reports.clear()
        started = time.perf_counter()
        reports = [r for h in sending if (r := self.world.report(h, now, self.rng)) is not None]
        if reports:
            post_reports(self.plane.database, reports)
        self.spent["reports"] += time.perf_counter() - started
        started = time.perf_counter()
        try:
            self.plane.round(now)
        except WorkerKilled:
            self._worker_died(now)
        self.spent["worker"] += time.perf_counter() - started

    def _heartbeat(self, now: datetime, hosts: list[str]) -> None:
        """The set-based stand-in for healthy hosts' clean reports (see the module docstring); a host that
        health has `unknown` while it is up sends a real report instead, which is what resolves silence."""
        assert self.plane is not None
        with self.plane.database.transaction() as session:
            unknown = set(
                session.scalars(
                    select(NodeHealth.node_id).where(NodeHealth.state == HealthState.UNKNOWN.value)
                )
            )
            ids = [self.world.hosts[h].node_id for h in hosts]
            self.due_reports |= {h for h in hosts if self.world.hosts[h].node_id in unknown}
            fresh = [i for i in ids if i not in unknown]
            session.execute(
                update(NodeHealth).where(NodeHealth.node_id.in_(fresh)).values(last_report_at=now)
            )

    def _report_cycle(self, now: datetime) -> None:
        reporting = self.world.reporting()
        self.due_reports |= set(self.world.sick())
        self.due_reports |= set(reporting[self.slice % CLEAN_SLICES :: CLEAN_SLICES])
        self.slice += 1
        self.at(now + timedelta(seconds=REPORT_S), self._report_cycle)

    # The world's events.
    def _strike(self, fault: TrueFault, now: datetime) -> None:
        if fault.effect == "silent" and self.plane is not None:
            self._heartbeat(now, [h for h in fault.hosts if not self.world.silent(h)])
        self.world.strike(fault, now)
        if fault.effect == "silent":
            self.at(now + timedelta(seconds=WINDOW_S + 1), _wake)  # coverage's moment to notice

    def _disrupt(self, disruption: Disruption, now: datetime) -> None:
        kind, lasts = disruption.kind, timedelta(seconds=disruption.lasts_s)
        if kind == "pagerduty_outage":
            self.edges.edge.pagerduty_down.append((now, now + lasts))
        elif kind == "worker_killed":
            self.edges.kill_after(self.edges.world.scheduler, "drain")
        elif kind == "outbox_killed":
            self.edges.edge.kill_after_send = True
        elif kind == "restart":
            self._stop_plane(now)
            self.at(now + lasts, self._start_plane)
        else:
            self._fleet_silence(disruption, now)

    def _fleet_silence(self, disruption: Disruption, now: datetime) -> None:
        """A partition silences every host (a correlated fault over the fleet); the control plane down for
        as long is a fault on no host, against which whatever fleetops does after is counted."""
        kind = PARTITION if disruption.variant == "partition" else CONTROL_PLANE_DOWN
        lasts, hosts = disruption.lasts_s, tuple(self.world.hosts)
        fault = TrueFault(SILENCE_IDS, kind.name, Fault(kind, 0, 0, now, 0), hosts, Cure.SELF, lasts)
        if kind is PARTITION:
            self._strike(fault, now)
            return
        self.world.faults.append(fault)
        self._stop_plane(now)
        back = now + timedelta(seconds=lasts)
        self.at(back, self._start_plane)
        self.at(back + AFTERMATH, partial(self.world.end, fault, how="restarted"))

    def _stop_plane(self, now: datetime | None = None) -> None:
        """The process goes away; `now` when it stops while running (agents had reported until then)."""
        if self.plane is not None:
            if now is not None:
                self._heartbeat(now, self.world.reporting())
            self.plane.close()
            self.errors += self.plane.errors
            self.plane = None

    def _start_plane(self, now: datetime) -> None:
        """A new process: everything in memory rebuilt from the database. Its worker starts at once; the
        agents resend what they spooled at their next attempt, up to a report interval later."""
        self._stop_plane()
        self.plane = ControlPlane(self.url, self.edges)
        back = now + timedelta(seconds=AGENT_INTERVAL_S)
        self.last_heartbeat = back  # no heartbeat stands in for agents that have not reported yet
        self.at(back, self._agents_resend)

    def _agents_resend(self, now: datetime) -> None:
        self.due_reports |= set(self.world.reporting())

    def _worker_died(self, now: datetime) -> None:
        """SIGKILL mid-step: the process is restarted at once. Every message its delivery had sent without
        writing the outcome will be sent again: that many duplicates are the documented at-least-once."""
        assert self.plane is not None
        self.kills += 1
        if self.plane.sending_from is not None:
            self.allowed_duplicates += len(self.edges.edge.receipts) - self.plane.sending_from
        self._start_plane(now)

    def _incident_hosts(self, incident_id: int) -> frozenset[str]:
        """What the supplier reads in an alert ticket: the nodes its incident is about."""
        with self.database.transaction() as session:
            row = session.get(Incident, incident_id)
            if row is None:
                return frozenset()
            incident = {"scope": row.scope, "labels": row.labels, "cluster_id": row.cluster_id}
        places = ((h.hostname, h.place.rack, h.place.cluster_id) for h in self.world.hosts.values())
        return incident_hosts(incident, places)

    # Invariants and figures.
    def _evidence(self, now: datetime) -> Evidence:
        notices = self.edges.world.notices
        evidence = Evidence(
            start=START,
            now=now,
            baseline=self.baseline,
            receipts=list(self.edges.edge.receipts),
            allowed_duplicates=self.allowed_duplicates,
            drained={h for h, s in self.edges.world.scheduler.nodes.items() if s == DRAINED},
            remediation_pages=list(self.oncall.received),
            truth=list(self.world.faults),
            gpus_per_node={h.node_id: len(h.uuids) for h in self.world.hosts.values()},
        )
        for fields in self.edges.jira.issues.values():
            for label in fields.get("labels", []):
                if label.startswith("fleetops-incident-"):
                    evidence.jira_labels[label] += 1
        gather(self.database, evidence)
        add_tickets(evidence, list(notices.opened), self.supplier.closed)
        return evidence

    def _check(self, now: datetime) -> None:
        started = time.perf_counter()
        evidence = self._evidence(now)
        for name, found in check_all(evidence).items():
            self.tallies[name].add(found, now)
        self.last_evidence = evidence
        self.spent["checks"] += time.perf_counter() - started
        if now < self.end:
            self.at(now + timedelta(seconds=CHECK_S), self._check)

    def _result(self) -> SoakResult:
        self._stop_plane()
        kinds = Counter(f.name for f in self.world.faults)
        scenario = {
            "faults": len(self.world.faults),
            "by_kind": dict(kinds),
            "dropped_on_a_faulty_host": len(self.world.dropped),
            "disruptions": [
                f"{d.kind}{':' + d.variant if d.variant else ''} at {d.at:%d %H:%M}"
                for d in self.scenario.disruptions
            ],
            "workers_killed": self.kills,
            "tickets_no_fault_found": len(self.supplier.no_fault_found),
            "bad_parts": self.supplier.bad_parts,
            "oncall_actions": dict(Counter(a for a, _, _ in self.oncall.actions)),
            "instants": self.instants,
            "wall_s_by_part": {k: round(v, 1) for k, v in self.spent.items()},
        }
        return SoakResult(
            self.seed,
            self.days,
            self.nodes,
            self.intensity,
            0.0,
            [t.as_dict() for t in self.tallies.values()],
            summary(self.last_evidence),
            scenario,
            self.errors,
            self.url,
        )


def _wake(now: datetime) -> None:
    """An instant for the control plane to run its tasks at (nothing else is due then)."""


def play_soak(
    *,
    seed: int = 7,
    days: float = 7,
    nodes: int = 2000,
    intensity: float = 1.0,
    progress: Callable[[float], None] | None = None,
    directory: Path | None = None,
) -> SoakResult:
    """Play `days` of a fleet of `nodes` nodes in service (plus the 576-node sub-pod waiting to deploy)."""
    return Soak(seed, days, nodes, intensity, progress, directory).run()
