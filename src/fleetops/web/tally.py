"""The fleet counted in one grouped read: nodes, GPUs and nodes heard from lately per rack, cluster,
lifecycle state and health state. The landing page draws its health map, its inventory counts and its
FSH coverage from these few thousand rows instead of a row per node (or per GPU).

At 100,000 nodes (SQLite, the shared 2-core machine) reading a row per node for the map was 430 ms and
the inventory summary's grouped reads 300 ms more; this one read is 90-180 ms and ~15,000 rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.auth.principal import Principal
from fleetops.health.coverage import reported_lately
from fleetops.health.models import NodeHealth
from fleetops.inventory.models import Cluster, Node, Rack, Site
from fleetops.inventory.scope import visible


@dataclass(frozen=True, slots=True)
class Where:
    """A drill-down: the whole fleet, a site, a pod of a site, or one cluster's nodes."""

    site: str | None = None
    pod: str | None = None
    cluster: str | None = None


EVERYWHERE = Where()


class Tally(NamedTuple):
    rack_id: int
    cluster_id: int | None
    lifecycle: str  # the node's state, raw: no enum conversion per row
    health: str | None  # None: the node never reported
    nodes: int
    gpus: int
    fresh: int  # nodes whose last report is within the coverage window


def narrowed(stmt: Any, who: Principal, where: Where) -> Any:
    """`stmt` (over `Node`) limited to the viewer's nodes and to the drill-down's place."""
    rule = visible("node", who)
    if rule is not None:
        stmt = stmt.where(rule)
    if where.site is not None or where.pod is not None:
        stmt = stmt.join(Rack, Rack.id == Node.rack_id).join(Site, Site.id == Rack.site_id)
        stmt = stmt.where(Site.name == where.site) if where.site is not None else stmt
        stmt = stmt.where(Rack.pod == where.pod) if where.pod is not None else stmt
    if where.cluster is not None:
        stmt = stmt.join(Cluster, Cluster.id == Node.cluster_id).where(Cluster.name == where.cluster)
    return stmt


def tally(
    session: Session, who: Principal, where: Where = EVERYWHERE, at: datetime | None = None
) -> list[Tally]:
    """The viewer's nodes counted per (rack, cluster, lifecycle, health), in no order. `at`: the time
    the coverage window ends (now by default), as `health.coverage.coverage` counts it."""
    lifecycle = type_coerce(Node.state, String)
    stmt = (
        select(
            Node.rack_id,
            Node.cluster_id,
            lifecycle,
            NodeHealth.state,
            func.count(),
            func.coalesce(func.sum(Node.gpu_count), 0),
            func.coalesce(func.sum(reported_lately(at or clock.now())), 0),
        )
        .select_from(Node)
        .outerjoin(NodeHealth, NodeHealth.node_id == Node.id)
        .group_by(Node.rack_id, Node.cluster_id, lifecycle, NodeHealth.state)
    )
    rows = session.connection().execute(narrowed(stmt, who, where)).all()  # Core, fetched at once
    return list(map(Tally._make, rows))
