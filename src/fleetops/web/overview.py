"""The landing page's inventory counts and FSH coverage, folded from the same `tally` as its health map.

They mean what `inventory.summary.summarize` and `health.coverage.coverage` mean, by their own rules
(`summary.fold`, `coverage.expected`; the tests compare them on one fleet, tenants included); those read
the node table again, 300 ms and 130 ms at 100,000 nodes on SQLite, which the landing page cannot spend
next to its map.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.health.coverage import Share, expected
from fleetops.inventory.models import Cluster, Site, Supplier
from fleetops.inventory.summary import FleetSummary, cluster_rows, fold
from fleetops.web.grid import Place
from fleetops.web.tally import Tally


def fleet_summary(
    session: Session, who: Principal, counted: Iterable[Tally], racks: dict[int, Place]
) -> FleetSummary:
    """Nodes and GPUs by state for the fleet, each supplier (its sites' racks) and each cluster.
    `racks`: every rack's place (`healthmap.places`), which the map has read."""
    by_site = dict(session.execute(select(Site.name, Supplier.name).join(Supplier)).all())
    suppliers = {rack_id: by_site[place.site] for rack_id, place in racks.items()}
    clusters: dict[int | None, str | None] = dict(session.execute(select(Cluster.id, Cluster.name)).all())
    nodes: Counter[tuple[str, str | None, str]] = Counter()
    gpus: Counter[tuple[str, str | None, str]] = Counter()
    for rack_id, cluster_id, lifecycle, _, n, g, _ in counted:  # ~15,000 rows at 100,000 nodes: kept lean
        key = (suppliers[rack_id], clusters.get(cluster_id), lifecycle)
        nodes[key] += n
        gpus[key] += g
    return fold(((*key, n, gpus[key]) for key, n in nodes.items()), cluster_rows(session, who))


def fleet_coverage(session: Session, counted: Iterable[Tally]) -> Share:
    """The viewer's nodes in active clusters, out of RMA and decommissioning, and those heard lately."""
    states: dict[int | None, str] = dict(session.execute(select(Cluster.id, Cluster.state)).all())
    share = Share("fleet")
    for row in counted:
        if expected(states.get(row.cluster_id), row.lifecycle):
            share.expected += row.nodes
            share.reporting += row.fresh
    return share
