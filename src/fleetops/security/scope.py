"""Which findings and imports a caller may see: a tenant sees its own nodes' and clusters' rows, an image
scanned for no cluster is staff-only. Built on inventory's `visible`, the one home of tenant scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, select

from fleetops.auth.principal import Principal
from fleetops.inventory.models import Cluster, Node
from fleetops.inventory.scope import visible


def visible_to(who: Principal, node_id: Any, cluster_id: Any) -> ColumnElement[bool] | None:
    """None for staff; otherwise the filter on a row's `node_id` and `cluster_id` columns."""
    nodes, clusters = visible("node", who), visible("cluster", who)
    if nodes is None and clusters is None:
        return None
    return or_(
        node_id.in_(select(Node.id).where(nodes if nodes is not None else false())),
        cluster_id.in_(select(Cluster.id).where(clusters if clusters is not None else false())),
    )
