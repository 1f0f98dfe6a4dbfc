"""The landing page's inventory counts and FSH coverage, folded from the same `tally` as its health map.

They mean what `inventory.summary.summarize` and `health.coverage.coverage` mean (the tests compare them
on one fleet, tenants included); those read the node table twice more, 300 ms and 130 ms at 100,000
nodes on SQLite, which the landing page cannot spend next to its map.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.health.coverage import OUT_OF_SCOPE, Share
from fleetops.inventory.choices import ClusterState
from fleetops.inventory.models import Cluster, Site, Supplier
from fleetops.inventory.summary import Counts, FleetSummary, cluster_rows
from fleetops.web.grid import Place
from fleetops.web.tally import Tally


def fleet_summary(
    session: Session, who: Principal, counted: Iterable[Tally], racks: dict[int, Place]
) -> FleetSummary:
    """Nodes and GPUs by state for the fleet, each supplier (its sites' racks) and each cluster.
    `racks`: every rack's place (`healthmap.places`), which the map has read."""
    by_site = dict(session.execute(select(Site.name, Supplier.name).join(Supplier)).all())
    suppliers = {rack_id: by_site[place.site] for rack_id, place in racks.items()}
    clusters: dict[int | None, str] = dict(session.execute(select(Cluster.id, Cluster.name)).all())
    clusters[None] = "(unassigned)"
    nodes: Counter[tuple[str, str, str]] = Counter()
    gpus: Counter[tuple[str, str, str]] = Counter()
    for rack_id, cluster_id, lifecycle, _, n, g, _ in counted:  # ~15,000 rows at 100,000 nodes: kept lean
        key = (suppliers[rack_id], clusters[cluster_id], lifecycle)
        nodes[key] += n
        gpus[key] += g
    fleet = Counts()
    by_supplier: dict[str, Counts] = defaultdict(Counts)
    by_cluster: dict[str, Counts] = defaultdict(Counts)
    for (supplier, cluster, lifecycle), n in nodes.items():
        for counts in (fleet, by_supplier[supplier], by_cluster[cluster]):
            counts.nodes[lifecycle] += n
            counts.gpus[lifecycle] += gpus[(supplier, cluster, lifecycle)]
    return FleetSummary(
        fleet, dict(sorted(by_supplier.items())), dict(sorted(by_cluster.items())), cluster_rows(session, who)
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
