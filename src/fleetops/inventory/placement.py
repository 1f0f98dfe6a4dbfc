"""Where a node is: the one lookup from hostnames to node, rack, pod, site, supplier and cluster.

Health, alerts and remediation each asked this with a private join before; one answer means one meaning
of "this node's supplier" (the site's: who hosts the hardware) everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.db.bulk import chunks
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Node, Rack, Site


@dataclass(frozen=True, slots=True)
class Placement:
    node_id: int
    hostname: str
    state: NodeState
    rack_id: int
    rack: str  # "site/rack", unique across the fleet
    pod: str
    site_id: int
    site: str
    supplier_id: int | None
    cluster_id: int | None

    def scopes(self) -> list[tuple[str, int]]:
        """The scopes a breaker or a rate limit counts this node in."""
        pairs = (("cluster", self.cluster_id), ("supplier", self.supplier_id))
        return [(scope, key) for scope, key in pairs if key is not None]


_QUERY = (
    select(
        Node.id,
        Node.hostname,
        Node.state,
        Node.rack_id,
        Rack.name,
        Rack.pod,
        Site.id,
        Site.name,
        Site.supplier_id,
        Node.cluster_id,
    )
    .join(Rack, Rack.id == Node.rack_id)
    .join(Site, Site.id == Rack.site_id)
)


def placements(session: Session, hostnames: Iterable[str]) -> dict[str, Placement]:
    """hostname → Placement for the hostnames in the inventory (the others are simply absent)."""
    found: dict[str, Placement] = {}
    for part in chunks(sorted(set(hostnames))):
        for row in session.execute(_QUERY.where(Node.hostname.in_(part))):
            node_id, hostname, state, rack_id, rack, pod, site_id, site, supplier_id, cluster_id = row
            found[hostname] = Placement(
                node_id,
                hostname,
                NodeState(state),
                rack_id,
                f"{site}/{rack}",
                pod or "",
                site_id,
                site,
                supplier_id,
                cluster_id,
            )
    return found
