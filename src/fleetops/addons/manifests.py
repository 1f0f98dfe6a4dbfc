"""Rendering many clusters' static configuration from the records: a few set-based reads, then pure
rendering per cluster (`render.render`), so a whole fleet renders in one pass."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops.addons import service
from fleetops.addons.render import Target, render
from fleetops.addons.states import read_states
from fleetops.auth.principal import Principal
from fleetops.inventory.models import Cluster
from fleetops.remediation.models import RemediationRun

RECENT_RUNS = 200  # RebootNode records per cluster: the newest runs, not the whole history


def _runs(session: Session, cluster_ids: list[int]) -> dict[int, list[RemediationRun]]:
    """Each cluster's newest RECENT_RUNS runs, newest first: ranked per cluster in the database (a window
    function), so a cluster's whole history is never read to keep its tail."""
    by_cluster: dict[int, list[RemediationRun]] = defaultdict(list)
    if not cluster_ids:
        return by_cluster
    rank = func.row_number().over(partition_by=RemediationRun.cluster_id, order_by=RemediationRun.id.desc())
    ranked = (
        select(RemediationRun.id, rank.label("rank"))
        .where(RemediationRun.cluster_id.in_(cluster_ids))
        .subquery()
    )
    query = (
        select(RemediationRun)
        .join(ranked, ranked.c.id == RemediationRun.id)
        .where(ranked.c.rank <= RECENT_RUNS)
        .order_by(RemediationRun.cluster_id, RemediationRun.id.desc())
    )
    for run in session.scalars(query):
        if run.cluster_id is not None:
            by_cluster[run.cluster_id].append(run)
    return by_cluster


def render_clusters(session: Session, clusters: list[Cluster]) -> dict[str, str]:
    """Every file of every cluster in `clusters` (already scoped by the caller)."""
    states = read_states(session, clusters)
    wanted = [
        c.id
        for c in clusters
        if states[c.id]["remediation"].enabled
        and states[c.id]["remediation"].settings.get("custom_resources")
    ]
    runs = _runs(session, wanted)
    files: dict[str, str] = {}
    for cluster in clusters:
        target = Target(
            cluster.name, cluster.orchestrator.value, cluster.customer.name if cluster.customer else None
        )
        files |= render(target, states[cluster.id], runs.get(cluster.id, []))
    return files


def for_cluster(session: Session, principal: Principal, name: str) -> dict[str, str]:
    return render_clusters(session, [service.cluster(session, principal, name)])
