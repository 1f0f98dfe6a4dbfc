"""One reader per measurable key result, each calling the measure its domain already keeps (deploy,
remediation, alerts' outbox, health coverage, inventory) and saying which records the figure came from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops.auth.principal import SYSTEM
from fleetops.deploy.measures import rollout_measures
from fleetops.deploy.models import Decommission, Rollout
from fleetops.health.coverage import coverage
from fleetops.inventory.choices import ClusterState
from fleetops.inventory.models import Cluster
from fleetops.inventory.service import untracked_clusters
from fleetops.okr import pager
from fleetops.remediation import measures as remediation
from fleetops.remediation.models import ClusterSettings


@dataclass(frozen=True)
class Window:
    end: datetime
    days: float

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)


@dataclass(frozen=True)
class Figure:
    value: float | None
    records: str


def _rollouts(session: Session, window: Window) -> list[dict]:
    rows = session.scalars(select(Rollout).where(Rollout.created_at >= window.start).order_by(Rollout.id))
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


def _mttr(fault_class: str) -> Callable[[Session, Window], Figure]:
    def read(session: Session, window: Window) -> Figure:
        mttr = remediation.summary(session, window.days)["mttr"][fault_class]
        return Figure(mttr["median_s"], f"median of {mttr['count']} {fault_class} remediation runs")

    return read


def automated_resolution(session: Session, window: Window) -> Figure:
    share = remediation.summary(session, window.days)["automation"]
    value = 100 * share["share"] if share["share"] is not None else None
    return Figure(value, f"{share['automatic']} of {share['finished']} finished remediation runs")


def page_reduction(session: Session, window: Window) -> Figure:
    baseline, history = pager.baseline_per_day(session)
    now, sent = pager.sent_per_day(session, window.start, window.days)
    if not baseline:
        return Figure(None, history)
    return Figure(100 * (1 - now / baseline), f"{sent} pages in {window.days:g} days against {history}")


def fsh_coverage(session: Session, window: Window) -> Figure:
    clusters = coverage(session, SYSTEM).clusters.values()
    covered = sum(1 for c in clusters if c.reporting)
    value = 100 * covered / len(clusters) if clusters else None
    return Figure(value, f"{covered} of {len(clusters)} active clusters have nodes reporting")


def remediation_coverage(session: Session, window: Window) -> Figure:
    active = select(Cluster.id).where(Cluster.state == ClusterState.ACTIVE)
    total = session.scalar(select(func.count()).select_from(active.subquery())) or 0
    off = session.scalar(
        select(func.count()).where(ClusterSettings.enabled.is_(False), ClusterSettings.cluster_id.in_(active))
    )
    value = 100 * (total - (off or 0)) / total if total else None
    return Figure(value, f"{total - (off or 0)} of {total} active clusters with remediation on")


def clusters_trackable(session: Session, window: Window) -> Figure:
    total = session.scalar(select(func.count()).where(Cluster.state != ClusterState.DECOMMISSIONED)) or 0
    untracked = untracked_clusters(session)
    value = 100 * (total - len(untracked)) / total if total else None
    return Figure(value, f"{total - len(untracked)} of {total} clusters with no inventory gap")


def decommission_time(session: Session, window: Window) -> Figure:
    rows = session.execute(
        select(Decommission.requested_at, Decommission.finished_at).where(
            Decommission.finished_at >= window.start
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
