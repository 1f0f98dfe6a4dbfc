"""The checklist of every cluster a principal may see: each item's reader run once over all of them.

Customers read their own clusters, suppliers the clusters on their sites, staff every cluster (decided in
the query by `inventory.scope.visible`); sales and machine roles none. Nothing is ticked by hand: each
verdict is computed from the records at the moment it is asked, so fixing the records moves it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.clustermax import fleet_checks, platform_checks
from fleetops.clustermax.checklist import Item, Readiness
from fleetops.clustermax.choices import Verdict
from fleetops.errors import NotFound
from fleetops.inventory.choices import ClusterState
from fleetops.inventory.models import Cluster
from fleetops.inventory.scope import visible

READERS = (Role.ADMIN, Role.OPERATOR, Role.VIEWER, Role.SECURITY, Role.CUSTOMER, Role.SUPPLIER)
Reader = Callable[[Session, list[Cluster], datetime], dict[int, tuple[Verdict, str]]]
ITEMS: tuple[tuple[str, str, Reader], ...] = (
    ("passive_checks", "Passive GPU health checks reporting", fleet_checks.passive_checks),
    ("active_checks", "Weekly active checks on idle nodes", fleet_checks.active_checks),
    ("network_links", "Network link health (InfiniBand, Ethernet)", fleet_checks.network_links),
    ("audit_retention", "Audit log kept at least 90 days", platform_checks.audit_retention),
    ("dashboards", "Dashboards provisioned", platform_checks.dashboards),
    ("orchestrator", "Kubernetes or Slurm on Kubernetes", platform_checks.orchestrator),
    ("remediation", "Automated remediation on", platform_checks.remediation),
)


def visible_clusters(session: Session, principal: Principal, name: str | None = None) -> list[Cluster]:
    principal.require(*READERS)
    query = select(Cluster).where(Cluster.state != ClusterState.DECOMMISSIONED).order_by(Cluster.name)
    if (rule := visible("cluster", principal)) is not None:
        query = query.where(rule)
    if name is not None:
        query = query.where(Cluster.name == name)
    return list(session.scalars(query).unique())


def readiness(session: Session, principal: Principal, name: str | None = None) -> list[Readiness]:
    """Every visible cluster's checklist; a named cluster the principal may not see is a 404 like a
    missing one, so a tenant cannot learn another's cluster names."""
    clusters, at = visible_clusters(session, principal, name), clock.now()
    if name is not None and not clusters:
        raise NotFound(f"cluster {name}: no such cluster")
    answers = {key: read(session, clusters, at) for key, _, read in ITEMS}
    return [
        Readiness(
            cluster.name,
            cluster.orchestrator.label,
            cluster.state.value,
            at,
            [Item(key, label, *answers[key][cluster.id]) for key, label, _ in ITEMS],
        )
        for cluster in clusters
    ]
