"""Tenant scope: the WHERE clause that limits what a customer, supplier or node agent can see.

Every read of the inventory goes through `visible`, so isolation is a property of the query, not of
the caller remembering to check. Staff roles (admin, operator, viewer) see everything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select

from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.inventory.models import Cluster, Contract, Customer, Gpu, Node, Rack, Site, Supplier


def _supplier_nodes(supplier_id: int | None) -> Any:
    return (
        select(Node.id)
        .join(Rack, Node.rack_id == Rack.id)
        .join(Site, Rack.site_id == Site.id)
        .where(Site.supplier_id == supplier_id)
    )


def _customer_nodes(customer_id: int | None) -> Any:
    return (
        select(Node.id).join(Cluster, Node.cluster_id == Cluster.id).where(Cluster.customer_id == customer_id)
    )


def visible(kind: str, principal: Principal) -> ColumnElement[bool] | None:
    """None when the principal sees every row of `kind`; otherwise the filter to AND into the query."""
    if not principal.role.tenant_scoped or kind == "region":
        return None
    cid, sid, nid = principal.customer_id, principal.supplier_id, principal.node_id
    rules: dict[Role, dict[str, Any]] = {
        Role.CUSTOMER: {
            "customer": lambda: Customer.id == cid,
            "contract": lambda: Contract.customer_id == cid,
            "cluster": lambda: Cluster.customer_id == cid,
            "node": lambda: Node.id.in_(_customer_nodes(cid)),
            "gpu": lambda: Gpu.node_id.in_(_customer_nodes(cid)),
        },
        Role.SUPPLIER: {
            "supplier": lambda: Supplier.id == sid,
            "site": lambda: Site.supplier_id == sid,
            "rack": lambda: Rack.site_id.in_(select(Site.id).where(Site.supplier_id == sid)),
            "cluster": lambda: Cluster.supplier_id == sid,
            "node": lambda: Node.id.in_(_supplier_nodes(sid)),
            "gpu": lambda: Gpu.node_id.in_(_supplier_nodes(sid)),
        },
        Role.AGENT: {
            "node": lambda: Node.id == nid,
            "gpu": lambda: Gpu.node_id == nid,
        },
        Role.RELAY: {},
        Role.SALES: {},
    }
    rule = rules[principal.role].get(kind)
    return rule() if rule else false()
