"""The landing page's inventory counts and FSH coverage, folded from the same `tally` as its health map.

They mean what `inventory.summary.summarize` and `health.coverage.coverage` mean (the tests compare them
on one fleet, tenants included); those read the node table twice more, 300 ms and 130 ms at 100,000
nodes on SQLite, which the landing page cannot spend next to its map.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.health.coverage import OUT_OF_SCOPE, Share
from fleetops.inventory.choices import ClusterState
from fleetops.inventory.models import Cluster, Rack, Site, Supplier
from fleetops.inventory.summary import Counts, FleetSummary, _clusters
from fleetops.web.tally import Tally


def _add(counts: Counts, row: Tally) -> None:
    counts.nodes[row.lifecycle] += row.nodes
    counts.gpus[row.lifecycle] += row.gpus


def fleet_summary(session: Session, who: Principal, counted: Iterable[Tally]) -> FleetSummary:
    """Nodes and GPUs by state for the fleet, each supplier (its sites' racks) and each cluster."""
    suppliers = dict(
        session.connection()
        .execute(
            select(Rack.id, Supplier.name)
            .join(Site, Site.id == Rack.site_id)
            .join(Supplier, Supplier.id == Site.supplier_id)
        )
        .all()
    )
    clusters: dict[int | None, str] = dict(session.execute(select(Cluster.id, Cluster.name)).all())
    clusters[None] = "(unassigned)"
    fleet = Counts()
    by_supplier: dict[str, Counts] = defaultdict(Counts)
    by_cluster: dict[str, Counts] = defaultdict(Counts)
    for row in counted:
        _add(fleet, row)
        _add(by_supplier[suppliers[row.rack_id]], row)
        _add(by_cluster[clusters[row.cluster_id]], row)
    return FleetSummary(
        fleet, dict(sorted(by_supplier.items())), dict(sorted(by_cluster.items())), _clusters(session, who)
    )


def fleet_coverage(session: Session, counted: Iterable[Tally]) -> Share:
    """The viewer's nodes in active clusters, out of RMA and decommissioning, and those heard lately."""
    active = set(session.scalars(select(Cluster.id).where(Cluster.state == ClusterState.ACTIVE)))
    share = Share("fleet")
    for row in counted:
        if row.cluster_id in active and row.lifecycle not in OUT_OF_SCOPE:
            share.expected += row.nodes
            share.reporting += row.fresh
    return share
