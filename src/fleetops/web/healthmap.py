"""The health map's data: every node the viewer may see, in rack order, with the colour of its health.

A node is as bad as its worst GPU (`NodeHealth.state` is already that), so the map reads one row per node
and no GPU rows: 10,000 nodes, not 80,000 GPUs. The GPUs appear one level down, on the rack and node pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, case, select, type_coerce
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.choices import Choice
from fleetops.health.choices import HealthState
from fleetops.health.models import NodeHealth
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Cluster, Node, Rack, Site
from fleetops.inventory.scope import visible
from fleetops.web.grid import Cell, Group, Place, arrange


class Shade(Choice):
    """What a node's slot on the map says, worst first."""

    UNHEALTHY = "unhealthy", "Unhealthy", "red"
    DEGRADED = "degraded", "Degraded", "orange"
    SILENT = "unknown", "In service, not reporting", "grey"
    DEPLOYING = "deploying", "Being deployed", "blue"
    HEALTHY = "healthy", "Healthy", "green"
    IDLE = "idle", "Not in service", "idle"


LOUD = frozenset({Shade.UNHEALTHY, Shade.DEGRADED})
IDLE = frozenset({NodeState.PLANNED, NodeState.RACKED, NodeState.DECOMMISSIONED})
DEPLOYING = frozenset({NodeState.PROVISIONING, NodeState.QUALIFYING})


def shade(lifecycle: NodeState, health: str | None) -> Shade:
    """A bad health report always shows; otherwise a node out of service is idle, one coming in is blue."""
    if health in (HealthState.UNHEALTHY.value, HealthState.DEGRADED.value):
        return Shade(health)
    if lifecycle in IDLE:
        return Shade.IDLE
    if lifecycle in DEPLOYING:
        return Shade.DEPLOYING
    return Shade.HEALTHY if health == HealthState.HEALTHY.value else Shade.SILENT


# Every (lifecycle, health) pair's shade, worked out once: the map looks it up 10,000 times a page.
SHADES = {
    (life.value, h): shade(life, h) for life in NodeState for h in [None, *(s.value for s in HealthState)]
}
LOUD_HEALTH = [HealthState.UNHEALTHY.value, HealthState.DEGRADED.value]


@dataclass(frozen=True, slots=True)
class Where:
    """A drill-down: the whole fleet, a site, a pod of a site, or one cluster's nodes."""

    site: str | None = None
    pod: str | None = None
    cluster: str | None = None


@dataclass(slots=True)
class HealthMap:
    groups: list[Group]
    counts: dict[Shade, int]

    @property
    def nodes(self) -> int:
        return sum(self.counts.values())


def places(session: Session) -> dict[int, Place]:
    """Every rack's site, pod and name (racks are few: 1,250 at 10,000 nodes)."""
    rows = session.execute(
        select(Rack.id, Site.name, Rack.pod, Rack.name).join(Site, Site.id == Rack.site_id)
    )
    return {rack_id: Place(site, pod, rack) for rack_id, site, pod, rack in rows}


def health_map(session: Session, who: Principal, where: Where = Where()) -> HealthMap:
    stmt = (
        select(
            Node.rack_id,
            Node.hostname,
            type_coerce(Node.state, String),  # the raw value: no enum conversion per row
            NodeHealth.state,
            case((NodeHealth.state.in_(LOUD_HEALTH), NodeHealth.why)),  # the reason only where it shows
        )
        .outerjoin(NodeHealth, NodeHealth.node_id == Node.id)
        .order_by(Node.rack_id, Node.position, Node.id)
    )
    rule = visible("node", who)
    if rule is not None:
        stmt = stmt.where(rule)
    if where.site is not None or where.pod is not None:
        stmt = stmt.join(Rack, Rack.id == Node.rack_id).join(Site, Site.id == Rack.site_id)
        stmt = stmt.where(Site.name == where.site) if where.site is not None else stmt
        stmt = stmt.where(Rack.pod == where.pod) if where.pod is not None else stmt
    if where.cluster is not None:
        stmt = stmt.join(Cluster, Cluster.id == Node.cluster_id).where(Cluster.name == where.cluster)
    counts = dict.fromkeys(Shade, 0)
    cells: list[Cell] = []
    for rack_id, hostname, lifecycle, health, why in session.connection().execute(stmt):  # Core: no ORM rows
        colour = SHADES[(lifecycle, health)]
        counts[colour] += 1
        cells.append((rack_id, hostname, colour.colour, colour in LOUD, why or ""))  # type: ignore[arg-type]
    return HealthMap(arrange(cells, places(session)), counts)
