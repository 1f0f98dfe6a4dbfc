"""`fleetops sim day`: a fleet day of faults, remediated by the real engine on simulated executors.

Faults come from the health fault injector (`fleetops.sim.faults`: the Llama 3 root-cause mix, its rate,
and its per-fault effects, which say which XIDs a fault produces); each becomes the finding health would
conclude (`xid`, `node_silent` for a dead host, `gpu_missing`). The engine acts on the fakes with
realistic durations (GPU reset ~1 min, reboot ~10 min, qualification 2 min, supplier RMA repairs take
days) on a ManualClock that jumps from one due event to the next, so a day plays in seconds through the
production code paths. The figures printed come from the engine's own records (`measures.summary`).
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from fleetops import clock
from fleetops.auth.principal import SYSTEM
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database
from fleetops.errors import InvalidInput
from fleetops.flow import FaultOwner, Finding, FindingSeverity
from fleetops.inventory.choices import ClusterState
from fleetops.inventory.models import Cluster, Node
from fleetops.remediation import fsm, measures, service
from fleetops.remediation.choices import RunState
from fleetops.remediation.engine import Engine
from fleetops.remediation.fakes import FakeWorld
from fleetops.remediation.models import RemediationRun
from fleetops.sim.faults import EFFECTS, Fault, FaultInjector, healthy_gpu

SILENT = "silent"
START = datetime(2026, 3, 2, tzinfo=UTC)


@dataclass
class DayResult:
    nodes: int
    faults: int
    findings: int
    summary: dict[str, Any]
    repaired: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def findings_of(fault: Fault, hostname: str, rng: random.Random) -> list[Finding]:
    """What health concludes from the fault's effect on the node's report (documented in the module)."""
    if fault.kind.effect == SILENT:
        return [_finding(hostname, "node_silent", fault.at, None, None, "no report for 5 minutes")]
    gpus = [healthy_gpu(f"GPU-{hostname}-{i}", i, rng) for i in range(8)]
    effect = EFFECTS.get(fault.kind.effect)
    if effect is None:
        return []
    after, xids, _ = effect(gpus, gpus[fault.gpu], fault)
    found = [_finding(hostname, "xid", fault.at, x.gpu_index, x.code, x.message) for x in xids]
    if len(after) < len(gpus):
        found.append(_finding(hostname, "gpu_missing", fault.at, None, None, "GPUs missing from nvidia-smi"))
    return found


def _finding(host: str, check: str, at: datetime, gpu: int | None, xid: int | None, message: str) -> Finding:
    return Finding(
        hostname=host,
        check=check,
        severity=FindingSeverity.CRITICAL,
        owner=FaultOwner.UNKNOWN,
        observed_at=at,
        message=message,
        gpu_index=gpu,
        xid=xid,
    )


def _hosts(database: Database) -> list[str]:
    with database.transaction() as session:
        query = (
            select(Node.hostname)
            .join(Cluster, Cluster.id == Node.cluster_id)
            .where(Cluster.state == ClusterState.ACTIVE)
            .order_by(Node.id)
        )
        return list(session.scalars(query))


def _next_due(database: Database) -> datetime | None:
    with database.transaction() as session:
        active = [s.value for s in fsm.ACTIVE]
        return session.scalar(select(func.min(RemediationRun.due_at)).where(RemediationRun.state.in_(active)))


def _repairs(database: Database, rng: random.Random, due: dict[int, datetime], now: datetime) -> int:
    """The supplier repairs handed-over nodes days later; a person marks them back in service."""
    repaired = 0
    with database.transaction() as session:
        handed = session.scalars(
            select(RemediationRun.id).where(
                RemediationRun.state == RunState.ESCALATED.value, RemediationRun.back_in_service_at.is_(None)
            )
        )
        for run_id in handed:
            due.setdefault(run_id, now + timedelta(hours=rng.uniform(30, 96)))
            if due[run_id] <= now:
                service.mark_repaired(session, SYSTEM, run_id, "supplier replaced the part")
                repaired += 1
    return repaired


def play_day(
    database: Database,
    *,
    seed: int = 7,
    hours: float = 24,
    intensity: float = 20.0,
    progress: Callable[[float], None] | None = None,
) -> DayResult:
    """Play `hours` of faults and remediation; the ManualClock jumps from one due event to the next."""
    manual = clock.ManualClock(START)
    previous = clock.use(manual)
    rng = random.Random(seed)
    try:
        hosts = _hosts(database)
        if not hosts:
            raise InvalidInput(
                "sim day: the fleet has no node in an active cluster (try --nodes 1000 or more)"
            )
        faults = FaultInjector(seed=seed, intensity=intensity).draw(len(hosts), START, timedelta(hours=hours))
        world = FakeWorld()
        engine = Engine(world.executors(), verifier=world.verifier)
        end, queue, found = START + timedelta(hours=hours), list(faults), 0
        kinds: dict[str, int] = {}
        repair_due: dict[int, datetime] = {}
        repaired = 0
        while manual.now() < end:
            batch = [f for f in queue if f.at <= manual.now()]
            queue = queue[len(batch) :]
            findings = []
            for fault in batch:
                kinds[fault.kind.name] = kinds.get(fault.kind.name, 0) + 1
                host = hosts[fault.node]
                if fault.kind.effect == "hbm" and rng.random() < 0.3:
                    world.verifier.fail_once.add(host)  # the reset did not hold: the ladder climbs
                findings += findings_of(fault, host, rng)
            if findings:
                with database.transaction() as session:
                    service.receive_findings(session, findings)
                found += len(findings)
            for _ in range(50):  # runs whose next step is due at once go on without the clock moving
                if not engine.tick(database):
                    break
            repaired += _repairs(database, rng, repair_due, manual.now())
            candidates = [t for t in (_next_due(database), queue[0].at if queue else None, end) if t]
            manual.set(max(manual.now() + timedelta(seconds=1), min(candidates)))
            if progress:
                progress(min(1.0, (manual.now() - START) / (end - START)))
        engine.close()
        with database.transaction() as session:
            summary = measures.summary(session)
        return DayResult(len(hosts), len(faults), found, summary, repaired, kinds)
    finally:
        clock.use(previous)


def scratch_database(seed: int, nodes: int, name: str = "day", directory: Path | None = None) -> Database:
    """A throwaway SQLite with a generated fleet, so `fleetops sim day` (or `soak`) needs nothing set up."""
    from fleetops.sim.load import seed_fleet

    path = Path(directory or tempfile.mkdtemp(prefix=f"fleetops-sim-{name}-")) / "fleetops.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    seed_fleet(database, seed, nodes, force=True)
    return database
