"""The health map's data: every node the viewer may see, per rack, with the colour of its health.

A node is as bad as its worst GPU (`NodeHealth.state` is already that), and only the bad ones are drawn
one by one: the map reads the fleet's counts per rack and state (`tally`) and the red and orange nodes
alone (through the health state's index), never a row per node: at 100,000 nodes that row per node was
430 ms. The GPUs appear one level down, on the rack and node pages.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.choices import Choice
from fleetops.cycles import collector_paused
from fleetops.health.choices import HealthState
from fleetops.health.models import NodeHealth
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Node, Rack, Site
from fleetops.web.grid import Cell, Group, Place, arrange
from fleetops.web.tally import EVERYWHERE, Tally, Where, narrowed, tally


class Shade(Choice):
    """What a node's slot on the map says, worst first."""

    UNHEALTHY = "unhealthy", "Unhealthy", "red"
    DEGRADED = "degraded", "Degraded", "orange"
    SILENT = "unknown", "In service, not reporting", "grey"
    DEPLOYING = "deploying", "Being deployed", "blue"
    HEALTHY = "healthy", "Healthy", "green"
    IDLE = "idle", "Not in service", "idle"


LOUD = frozenset({Shade.UNHEALTHY, Shade.DEGRADED})
QUIET = tuple(s for s in Shade if s not in LOUD)  # the order a box draws them in
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


# Every (lifecycle, health) pair's shade, worked out once: the map looks one up per counted row.
SHADES = {
    (life.value, h): shade(life, h) for life in NodeState for h in [None, *(s.value for s in HealthState)]
}
LOUD_HEALTH = [HealthState.UNHEALTHY.value, HealthState.DEGRADED.value]


@dataclass(slots=True)
class HealthMap:
    groups: list[Group]
    counts: dict[Shade, int]

    @property
    def nodes(self) -> int:
        return sum(self.counts.values())


def places(session: Session) -> dict[int, Place]:
    """Every rack's site, pod and name (racks are few: 1,250 at 10,000 nodes)."""
    rows = (
        session.connection()
        .execute(select(Rack.id, Site.name, Rack.pod, Rack.name).join(Site, Site.id == Rack.site_id))
        .all()
    )  # fetched at once: row by row was twice as long
    return {rack_id: Place(site, pod, rack) for rack_id, site, pod, rack in rows}


def _loud_nodes(session: Session, who: Principal, where: Where) -> dict[int, list[Cell]]:
    """The red and orange nodes, each its own cell, by rack: few, read through the health state's index."""
    stmt = (
        select(Node.rack_id, Node.hostname, NodeHealth.state, NodeHealth.why)
        .join(NodeHealth, NodeHealth.node_id == Node.id)
        .where(NodeHealth.state.in_(LOUD_HEALTH))
        .order_by(Node.rack_id, Node.position, Node.id)
    )
    out: dict[int, list[Cell]] = defaultdict(list)
    for rack_id, hostname, health, why in session.connection().execute(narrowed(stmt, who, where)):
        out[rack_id].append(Cell(rack_id, hostname, Shade(health).colour, True, why))
    return out


def health_map(
    session: Session,
    who: Principal,
    where: Where = EVERYWHERE,
    counted: list[Tally] | None = None,
    racks: dict[int, Place] | None = None,
) -> HealthMap:
    """Each rack drawn as its loud nodes, then one run per quiet colour, worst first. `counted` and
    `racks`: the same place's `tally` and the `places`, when the caller has read them already. The cycle
    collector is paused as for the landing page: at 100,000 nodes its passes were 80 of the map's 120 ms."""
    with collector_paused():
        counted = tally(session, who, where) if counted is None else counted
        return _drawn(session, who, where, counted, places(session) if racks is None else racks)


def _drawn(
    session: Session, who: Principal, where: Where, counted: list[Tally], racks: dict[int, Place]
) -> HealthMap:
    loud = _loud_nodes(session, who, where)
    counts = dict.fromkeys(Shade, 0)
    quiet: dict[int, dict[Shade, int]] = {}
    for row in counted:
        colour = SHADES[(row.lifecycle, row.health)]
        counts[colour] += row.nodes
        if colour not in LOUD:
            rack = quiet.setdefault(row.rack_id, {})
            rack[colour] = rack.get(colour, 0) + row.nodes
    cells: list[Cell] = []
    for rack_id in sorted(quiet.keys() | loud.keys()):
        cells += loud.get(rack_id, [])
        shades = quiet.get(rack_id, {})
        cells += [Cell(rack_id, "", s.colour, False, "", shades[s]) for s in QUIET if s in shades]
    return HealthMap(arrange(cells, racks), counts)
