"""Fleet counts by state, per supplier and per cluster: what the console overview and /metrics show.

One grouped query over the node table (GPUs counted through each node's `gpu_count`, which
the importer keeps equal to its listed GPUs), so the overview stays fast at 10,000 nodes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.inventory.choices import ClusterState, NodeState, Orchestrator
from fleetops.inventory.models import Cluster, Customer, Node, Rack, Site, Supplier
from fleetops.inventory.scope import visible


@dataclass
class Counts:
    nodes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NodeState, 0))
    gpus: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NodeState, 0))

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_gpus(self) -> int:
        return sum(self.gpus.values())


@dataclass
class FleetSummary:
    fleet: Counts
    by_supplier: dict[str, Counts]
    by_cluster: dict[str, Counts]
    clusters: list[dict[str, Any]]


UNASSIGNED = "(unassigned)"  # the cluster name nodes outside any cluster are counted under


def _counted(session: Session, *rules: ColumnElement[bool] | None) -> Sequence[Any]:
    """(supplier, cluster or None, state, nodes, GPUs) of the nodes the rules let through."""
    stmt = (
        select(
            Supplier.name,
            Cluster.name,
            Node.state,
            func.count(Node.id),
            func.coalesce(func.sum(Node.gpu_count), 0),
        )
        .select_from(Node)
        .join(Rack, Node.rack_id == Rack.id)
        .join(Site, Rack.site_id == Site.id)
        .join(Supplier, Site.supplier_id == Supplier.id)
        .outerjoin(Cluster, Node.cluster_id == Cluster.id)
        .group_by(Supplier.name, Cluster.name, Node.state)
    )
    return session.execute(stmt.where(*(r for r in rules if r is not None))).all()


def fold(
    rows: Iterable[tuple[str, str | None, str, int, int]], clusters: list[dict[str, Any]]
) -> FleetSummary:
    """The summary of (supplier, cluster or None, state, nodes, GPUs) counts: the API's and the console
    landing page's, which counts its fleet in a read of its own (`web.overview`)."""
    fleet = Counts()
    by_supplier: dict[str, Counts] = defaultdict(Counts)
    by_cluster: dict[str, Counts] = defaultdict(Counts)
    for supplier, cluster, state, nodes, gpus in rows:
        for counts in (fleet, by_supplier[supplier], by_cluster[cluster or UNASSIGNED]):
            counts.nodes[state] += nodes
            counts.gpus[state] += gpus
    return FleetSummary(fleet, dict(sorted(by_supplier.items())), dict(sorted(by_cluster.items())), clusters)


def cluster_rows(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """The clusters `principal` may see with their supplier and customer: the summary's table, read by
    the API's summary and the console's landing page alike."""
    stmt = (
        select(Cluster.id, Cluster.name, Cluster.state, Cluster.orchestrator, Supplier.name, Customer.name)
        .outerjoin(Supplier, Cluster.supplier_id == Supplier.id)
        .outerjoin(Customer, Cluster.customer_id == Customer.id)
        .order_by(Cluster.name)
    )
    rule = visible("cluster", principal)
    if rule is not None:
        stmt = stmt.where(rule)
    return [
        {
            "id": cid,
            "name": name,
            "state": ClusterState(state),
            "orchestrator": Orchestrator(orch),
            "supplier": supplier,
            "customer": customer,
        }
        for cid, name, state, orch, supplier, customer in session.execute(stmt)
    ]


def summarize(session: Session, principal: Principal) -> FleetSummary:
    return fold(_counted(session, visible("node", principal)), cluster_rows(session, principal))


def cluster_counts(session: Session, principal: Principal, cluster_name: str) -> Counts:
    rows = _counted(session, visible("node", principal), Cluster.name == cluster_name)
    return fold(rows, []).by_cluster.get(cluster_name, Counts())
