"""Which assets a caller sees: staff all, a supplier those at its sites, a customer those in its clusters.

Every asset read goes through `visible`, so isolation is a property of the query."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select

from fleetops.assets.models import Asset, PurchaseOrder
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.inventory.models import Cluster, Node, Site


def visible(principal: Principal) -> ColumnElement[bool] | None:
    """None for staff; otherwise the filter to AND into any query over `Asset`."""
    if not principal.role.tenant_scoped:
        return None
    if principal.role is Role.SUPPLIER:
        return Asset.site_id.in_(select(Site.id).where(Site.supplier_id == principal.supplier_id))
    if principal.role is Role.CUSTOMER:
        clusters = select(Cluster.id).where(Cluster.customer_id == principal.customer_id)
        bought = select(PurchaseOrder.id).where(PurchaseOrder.cluster_id.in_(clusters))
        return Asset.node_id.in_(select(Node.id).where(Node.cluster_id.in_(clusters))) | Asset.po_id.in_(
            bought
        )
    return false()
