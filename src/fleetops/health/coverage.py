"""FSH coverage: which nodes of active clusters reported lately, and what happens to those that did not.

Coverage is the share of nodes in active clusters whose last report arrived within `WINDOW_S` (five
minutes), per cluster and per supplier (the supplier whose site hosts the node). Nodes that are in RMA or
decommissioned are out of scope: nobody expects an agent on hardware that has left the rack. A node that
falls silent becomes `unknown` and gets a `node_silent` finding from `tick`; its next report resolves both.

Silence is counted in time the control plane listened. Every node looks silent after the control plane was
down for longer than the window (its agents spool and resend once it is back), and marking them all tripped
the fleet's remediation breaker for nothing. So the sweep keeps a row (`coverage_sweep`): the first sweep
of a process knows how long nobody swept, and for a window after it that time is not counted. The API
says it is listening too (`Listening`, a heartbeat in the row): while it is down a separate worker's sweep
marks no one, and its gap is counted as the worker's own is.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.auth.principal import SYSTEM, Principal
from fleetops.db.session import Database
from fleetops.health.choices import HealthState
from fleetops.health.evaluate import NODE_SILENT, silent_observation
from fleetops.health.models import CoverageSweep, HealthFinding, NodeHealth
from fleetops.health.state import (
    Pending,
    Sighting,
    StateWrite,
    Verdict,
    current_states,
    new_finding_row,
    recount_open,
    write_findings,
)
from fleetops.inventory.choices import ClusterState, NodeState
from fleetops.inventory.models import Cluster, Gpu, Node, Rack, Site, Supplier
from fleetops.inventory.scope import visible

log = logging.getLogger("fleetops.health")
WINDOW_S = 300.0
# A serving API beats every HEARTBEAT_S; with no beat for DEAF_S it is down (`down_seconds`).
HEARTBEAT_S = 10.0
DEAF_S = 60.0
OUT_OF_SCOPE = (NodeState.RMA.value, NodeState.DECOMMISSIONED.value)
# Silent nodes marked per transaction: 2,000 held SQLite's write lock 2.2 s on the loaded 2-core machine.
BATCH = 250
SWEEP_ROW = 1
# The databases this process has swept: the first sweep of a process (a restart) counts the time since the
# last sweep of any process as the control plane down. A live process that sweeps rarely is still listening.
_listening: weakref.WeakSet[Database] = weakref.WeakSet()


@dataclass(slots=True)
class Share:
    name: str
    expected: int = 0
    reporting: int = 0

    @property
    def share(self) -> float | None:
        return None if not self.expected else self.reporting / self.expected

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expected": self.expected,
            "reporting": self.reporting,
            "silent": self.expected - self.reporting,
            "share": self.share,
        }


@dataclass(slots=True)
class Coverage:
    at: datetime
    window_s: float
    fleet: Share = field(default_factory=lambda: Share("fleet"))
    clusters: dict[str, Share] = field(default_factory=dict)
    suppliers: dict[str, Share] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "window_s": self.window_s,
            "fleet": self.fleet.as_dict(),
            "clusters": [s.as_dict() for s in self.clusters.values()],
            "suppliers": [s.as_dict() for s in self.suppliers.values()],
        }


def _in_scope(principal: Principal) -> Any:
    stmt = (
        select(Node.id)
        .join(Cluster, Node.cluster_id == Cluster.id)
        .where(Cluster.state == ClusterState.ACTIVE, Node.state.not_in(OUT_OF_SCOPE))
    )
    rule = visible("node", principal)
    return stmt if rule is None else stmt.where(rule)


def expected(cluster_state: str | None, node_state: str) -> bool:
    """Whether a node is expected to report (`_in_scope`, for one node): it is in an active cluster and
    neither in RMA nor decommissioned. For a caller that has counted the nodes in a read of its own."""
    return cluster_state == ClusterState.ACTIVE and node_state not in OUT_OF_SCOPE


def reported_lately(at: datetime, window_s: float = WINDOW_S) -> Any:
    """1 for a node (joined to its `NodeHealth`) heard from within the window ending `at`, else 0."""
    return case((NodeHealth.last_report_at >= at - timedelta(seconds=window_s), 1), else_=0)


def coverage(
    session: Session, principal: Principal, at: datetime | None = None, window_s: float = WINDOW_S
) -> Coverage:
    """One grouped query: nodes expected and nodes reporting, by cluster and supplier."""
    at = at or clock.now()
    fresh = reported_lately(at, window_s)
    stmt = (
        select(Cluster.name, Supplier.name, func.count(Node.id), func.coalesce(func.sum(fresh), 0))
        .select_from(Node)
        .join(Cluster, Node.cluster_id == Cluster.id)
        .join(Rack, Node.rack_id == Rack.id)
        .join(Site, Rack.site_id == Site.id)
        .join(Supplier, Site.supplier_id == Supplier.id)
        .outerjoin(NodeHealth, NodeHealth.node_id == Node.id)
        .where(Node.id.in_(_in_scope(principal)))
        .group_by(Cluster.name, Supplier.name)
        .order_by(Cluster.name, Supplier.name)
    )
    result = Coverage(at, window_s)
    for cluster, supplier, expected, reporting in session.execute(stmt):
        for share in (
            result.fleet,
            result.clusters.setdefault(cluster, Share(cluster)),
            result.suppliers.setdefault(supplier, Share(supplier)),
        ):
            share.expected += expected
            share.reporting += int(reporting)
    result.suppliers = dict(sorted(result.suppliers.items()))
    return result


def _silent_nodes(session: Session, cutoff: datetime, limit: int | None) -> list[tuple[int, datetime | None]]:
    stmt = (
        select(Node.id, NodeHealth.last_report_at)
        .outerjoin(NodeHealth, NodeHealth.node_id == Node.id)
        .where(Node.id.in_(_in_scope(SYSTEM)))
        .where(or_(NodeHealth.last_report_at.is_(None), NodeHealth.last_report_at < cutoff))
        .where(or_(NodeHealth.state.is_(None), NodeHealth.state != HealthState.UNKNOWN.value))
        .order_by(Node.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def mark_silent(
    session: Session,
    at: datetime,
    window_s: float = WINDOW_S,
    actor: str = "fleetops:coverage",
    limit: int | None = None,
    down_s: float = 0.0,
) -> int:
    """Mark newly silent nodes (and their GPUs) `unknown` and open their `node_silent` findings; at most
    `limit` nodes, whose ids then fit any database's parameter limit. `down_s`: seconds within the node's
    silence when nothing listened (`down_seconds`), which do not count towards the window."""
    silent = _silent_nodes(session, at - timedelta(seconds=window_s + down_s), limit)
    if not silent:
        return 0
    ids = [node_id for node_id, _ in silent]
    already = set(
        session.scalars(
            select(HealthFinding.node_id).where(
                HealthFinding.node_id.in_(ids),
                HealthFinding.check == NODE_SILENT,
                HealthFinding.resolved_at.is_(None),
            )
        )
    )
    pending = Pending()
    for node_id, last in silent:
        if node_id not in already:
            obs = silent_observation(last, window_s)
            sight = Sighting(node_id, "", actor, at, at, [obs], frozenset(), frozenset(), True)
            pending.new[(node_id, obs.key)] = new_finding_row(sight, obs, {})
    write_findings(session, pending)
    before = current_states(session, ids)
    before_nodes, before_gpus = before.nodes, before.gpus
    writes = StateWrite(at, actor)
    why = f"silent: no report for over {window_s:.0f} s"
    for node_id in ids:
        writes.node(node_id, Verdict(HealthState.UNKNOWN, why), before_nodes.get(node_id))
    for gpu_id, node_id in session.execute(select(Gpu.id, Gpu.node_id).where(Gpu.node_id.in_(ids))):
        writes.gpu(node_id, gpu_id, Verdict(HealthState.UNKNOWN, "node silent"), before_gpus.get(gpu_id))
    writes.flush(session)
    recount_open(session, ids)
    return len(ids)


def _was_down(row: CoverageSweep, since: datetime, at: datetime, window_s: float) -> None:
    recent = row.resumed_at is not None and (since - row.resumed_at).total_seconds() < window_s
    row.down_s = (row.down_s if recent else 0.0) + (at - since).total_seconds()
    row.resumed_at = at


def heard(session: Session, at: datetime, window_s: float = WINDOW_S) -> None:
    """A serving API process is listening (its heartbeat). A gap since the last beat is time the agents'
    reports had nowhere to go: counted as downtime, as the worker's own restart is."""
    row = session.get(CoverageSweep, SWEEP_ROW, with_for_update=True)
    if row is None:
        session.add(CoverageSweep(id=SWEEP_ROW, swept_at=at, down_s=0.0, heard_at=at))
        return
    if row.heard_at is not None and (at - row.heard_at).total_seconds() > DEAF_S:
        _was_down(row, row.heard_at, at, window_s)
    row.heard_at = at if row.heard_at is None else max(row.heard_at, at)


class Listening:
    """The heartbeat of a serving API (`fleetops serve`), every `HEARTBEAT_S` in a thread of its own."""

    def __init__(self, database: Database) -> None:
        self.database, self.stop = database, threading.Event()

    def __enter__(self) -> Listening:
        threading.Thread(target=self._beat, daemon=True, name="listening").start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()

    def _beat(self) -> None:
        while True:
            try:
                with self.database.transaction() as session:
                    heard(session, clock.now())
            except Exception:  # noqa: BLE001 - a missed beat is retried; DEAF_S outlasts several
                log.exception("listening heartbeat failed")
            if self.stop.wait(HEARTBEAT_S):
                return


def down_seconds(
    session: Session, at: datetime, restarted: bool, window_s: float = WINDOW_S
) -> float | None:
    """Record this sweep; return the seconds of downtime a node's silence must not count now.

    With one outage of `g` seconds that ended at `resumed_at`, a node last heard before it has listened-to
    silence of `(at - last) - g`: it is silent once `last < at - window - g`. Once the control plane has
    been back a whole window, every node last heard before the outage has missed a window of listening
    anyway, and the plain cutoff holds. Outages closer together than a window add up (a node last heard
    before both missed neither): counting both for a node between them only marks it later, never
    wrongly. No row yet (a new database): nothing is known about earlier downtime.

    None while no API process has beaten for `DEAF_S` (the API down, a separate worker still sweeping):
    nobody hears the agents, so no node is silent now; the gap counts once the API is back (`heard`).
    With the API up and no report arriving (a partition) the silence is the nodes' and is marked."""
    row = session.get(CoverageSweep, SWEEP_ROW, with_for_update=True)
    if row is None:
        session.add(CoverageSweep(id=SWEEP_ROW, swept_at=at, down_s=0.0))
        return 0.0
    if restarted and at > row.swept_at:
        _was_down(row, row.swept_at, at, window_s)
    row.swept_at = max(row.swept_at, at)
    if row.heard_at is not None and (at - row.heard_at).total_seconds() > DEAF_S:
        return None
    if row.resumed_at is None or (at - row.resumed_at).total_seconds() > window_s:
        return 0.0
    return row.down_s


def tick(database: Database) -> int:
    """The worker's periodic task: returns how many nodes were newly marked silent.

    In transactions of `BATCH` nodes: a fleet that went silent at once (100,000 nodes freshly imported,
    a partition) is marked in steps that each hold the write lock briefly, so agent reports get in
    between, and no statement lists more node ids than PostgreSQL's 65,535 parameters."""
    at, marked = clock.now(), 0
    with database.transaction() as session:
        down_s = down_seconds(session, at, restarted=database not in _listening)
    _listening.add(database)
    if down_s is None:
        return 0
    while True:
        with database.transaction() as session:
            done = mark_silent(session, at, limit=BATCH, down_s=down_s)
        marked += done
        if done < BATCH:
            return marked
        database.give_way()
