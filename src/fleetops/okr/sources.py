"""One reader per measurable key result, each calling the measure its domain already keeps (deploy,
remediation, alerts' outbox, health coverage, inventory) and saying which records the figure came from.

Every reader honours its window: what happened in [start, end) (rollouts created, runs detected, pages
sent, decommissions finished), or the state as of its end, inclusive (clusters reporting, remediation
switched on, clusters existing), so a past window reads the past and the goals' history is not today repeated.
Where the records keep no history, today's is used and the reader says which: a cluster's lifecycle
state and its trackability (customer, supplier, contract) are today's, bounded by when it was created."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.audit.models import AuditEvent
from fleetops.auth.principal import SYSTEM
from fleetops.deploy.measures import rollout_measures
from fleetops.deploy.models import Decommission, Rollout
from fleetops.health.coverage import WINDOW_S as COVERAGE_WINDOW_S
from fleetops.health.coverage import coverage
from fleetops.health.models import HealthReport
from fleetops.inventory.choices import ClusterState
from fleetops.inventory.models import Cluster, Node
from fleetops.inventory.service import untracked_clusters
from fleetops.okr import pager
from fleetops.remediation import measures as remediation
from fleetops.remediation.models import ClusterSettings

T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    end: datetime
    days: float
    # What the readers of one page share: today's figures no window changes (coverage's clusters, the pager
    # baseline, the untracked clusters) and remediation's summary of a window, read by three key results.
    # The goals' history reads 13 windows: 215-359 ms for /okr at 10,000 nodes without it, 59-66 ms with.
    shared: dict[Hashable, Any] | None = field(default=None, compare=False)

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)

    def once(self, key: Hashable, compute: Callable[[], T]) -> T:
        if self.shared is None:
            return compute()
        if key not in self.shared:
            self.shared[key] = compute()
        return self.shared[key]


@dataclass(frozen=True)
class Figure:
    value: float | None
    records: str


def _rollouts(session: Session, window: Window) -> list[dict]:
    """The rollouts created in the window, each with its own measures."""
    created = (Rollout.created_at >= window.start) & (Rollout.created_at < window.end)
    rows = session.scalars(select(Rollout).where(created).order_by(Rollout.id))
    return [{"name": r.name, **rollout_measures(session, r)} for r in rows]


def gpus_per_hour(session: Session, window: Window) -> Figure:
    """The slowest rollout of the window: the goal is a minimum rate for every deployment."""
    done = [r for r in _rollouts(session, window) if r["ready"]]
    if not done:
        return Figure(None, "no rollout with ready nodes")
    slowest = min(done, key=lambda r: r["gpus_per_hour"])
    return Figure(slowest["gpus_per_hour"], f"slowest of {len(done)} rollouts: {slowest['name']}")


def nodes_needing_person(session: Session, window: Window) -> Figure:
    rollouts = _rollouts(session, window)
    nodes = sum(r["nodes"] for r in rollouts)
    humans = sum(round((r["share_needing_human"] or 0) * r["nodes"]) for r in rollouts)
    value = 100 * humans / nodes if nodes else None
    return Figure(value, f"{humans} of {nodes} nodes in {len(rollouts)} rollouts")


def _remediation(session: Session, window: Window) -> dict[str, Any]:
    return window.once(
        ("remediation", window.days, window.end),
        lambda: remediation.summary(session, window.days, window.end),
    )


def _mttr(fault_class: str) -> Callable[[Session, Window], Figure]:
    def read(session: Session, window: Window) -> Figure:
        mttr = _remediation(session, window)["mttr"][fault_class]
        return Figure(mttr["median_s"], f"median of {mttr['count']} {fault_class} remediation runs")

    return read


def automated_resolution(session: Session, window: Window) -> Figure:
    share = _remediation(session, window)["automation"]
    value = 100 * share["share"] if share["share"] is not None else None
    return Figure(value, f"{share['automatic']} of {share['finished']} finished remediation runs")


def page_reduction(session: Session, window: Window) -> Figure:
    baseline, history = window.once("pager baseline", lambda: pager.baseline_per_day(session))
    now, sent = pager.sent_per_day(session, window.start, window.end)
    if not baseline:
        return Figure(None, history)
    return Figure(100 * (1 - now / baseline), f"{sent} pages in {window.days:g} days against {history}")


def _existing(session: Session, window: Window) -> dict[int, str]:
    """Clusters created before the window's end that are active today (lifecycle has no history)."""
    query = select(Cluster.id, Cluster.name).where(
        Cluster.state == ClusterState.ACTIVE, Cluster.created_at <= window.end
    )
    return {cid: name for cid, name in session.execute(query)}


def fsh_coverage(session: Session, window: Window) -> Figure:
    """Clusters with a node reporting at the window's end: a report received in the coverage window
    (five minutes) before it, of the clusters with nodes expected to report."""
    covered_today = window.once("coverage", lambda: set(coverage(session, SYSTEM).clusters))
    expected = covered_today & set(_existing(session, window).values())
    fresh = window.end - timedelta(seconds=COVERAGE_WINDOW_S)
    reporting = (
        select(Cluster.name)
        .join(Node, Node.cluster_id == Cluster.id)
        .join(HealthReport, HealthReport.node_id == Node.id)
        .where(HealthReport.received_at > fresh, HealthReport.received_at <= window.end)
        .distinct()
    )
    covered = set(session.scalars(reporting)) & expected
    value = 100 * len(covered) / len(expected) if expected else None
    return Figure(value, f"{len(covered)} of {len(expected)} active clusters have nodes reporting")


def _enabled_at(session: Session, window: Window, clusters: dict[int, str]) -> dict[int, bool]:
    """Remediation's switch per cluster at the window's end: today's, walked back through the audited
    settings changes since (the first change after the end says what the switch was before it)."""
    off = set(session.scalars(select(ClusterSettings.cluster_id).where(ClusterSettings.enabled.is_(False))))
    at_end = {cid: cid not in off for cid in clusters}
    by_name = {name: cid for cid, name in clusters.items()}
    later = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.target_type == "remediation_settings", AuditEvent.at > window.end)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    for event in later:  # newest first: the last one applied is the earliest change after the end
        switch = (event.changes or {}).get("enabled")
        if event.target_key in by_name and isinstance(switch, list) and len(switch) == 2:
            at_end[by_name[event.target_key]] = bool(switch[0])
    return at_end


def remediation_coverage(session: Session, window: Window) -> Figure:
    clusters = _existing(session, window)
    on = sum(_enabled_at(session, window, clusters).values())
    value = 100 * on / len(clusters) if clusters else None
    return Figure(value, f"{on} of {len(clusters)} active clusters with remediation on")


def clusters_trackable(session: Session, window: Window) -> Figure:
    existing = set(
        session.scalars(
            select(Cluster.name).where(
                Cluster.state != ClusterState.DECOMMISSIONED, Cluster.created_at <= window.end
            )
        )
    )
    untracked = [
        c for c in window.once("untracked", lambda: untracked_clusters(session)) if c["cluster"] in existing
    ]
    total = len(existing)
    value = 100 * (total - len(untracked)) / total if total else None
    return Figure(value, f"{total - len(untracked)} of {total} clusters with no inventory gap")


def decommission_time(session: Session, window: Window) -> Figure:
    rows = session.execute(
        select(Decommission.requested_at, Decommission.finished_at).where(
            Decommission.finished_at >= window.start, Decommission.finished_at < window.end
        )
    ).all()
    times = [(done - asked).total_seconds() for asked, done in rows]
    return Figure(median(times) if times else None, f"median of {len(times)} decommissions finished")


READERS: dict[str, Callable[[Session, Window], Figure]] = {
    "gpus_per_hour": gpus_per_hour,
    "nodes_needing_person": nodes_needing_person,
    "mttr_software": _mttr("software"),
    "mttr_hardware": _mttr("hardware"),
    "automated_resolution": automated_resolution,
    "page_reduction": page_reduction,
    "fsh_coverage": fsh_coverage,
    "remediation_coverage": remediation_coverage,
    "clusters_trackable": clusters_trackable,
    "decommission_time": decommission_time,
}
