"""Console `/racks/{site}/{rack}`: the rack grid, one row per node in rack order and one cell per GPU
coloured by its health, so the map's red box becomes the red GPU one click later."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from fleetops.api.deps import SessionDep
from fleetops.health.choices import HealthState
from fleetops.health.models import GpuHealth, NodeHealth
from fleetops.inventory.models import Gpu, Node, Rack, Site
from fleetops.inventory.scope import visible
from fleetops.web.views import ViewerDep, render

router = APIRouter(include_in_schema=False)
UNKNOWN = HealthState.UNKNOWN.value


@router.get("/racks/{site}/{rack}", response_class=HTMLResponse)
def rack_page(request: Request, site: str, rack: str, db: SessionDep, who: ViewerDep) -> Response:
    if who is None:
        return render(request, "rack.html", who)
    stmt = (
        select(Node.id, Node.hostname, Node.position, Node.state, NodeHealth.state, NodeHealth.why, Rack.pod)
        .join(Rack, Rack.id == Node.rack_id)
        .join(Site, Site.id == Rack.site_id)
        .outerjoin(NodeHealth, NodeHealth.node_id == Node.id)
        .where(Site.name == site, Rack.name == rack)
        .order_by(Node.position, Node.hostname)
    )
    rule = visible("node", who)
    rows = db.execute(stmt if rule is None else stmt.where(rule)).all()
    if not rows:
        error = f"rack {site}/{rack}: no such rack, or none of its nodes is yours"
        return render(request, "error.html", who, status=404, error=error, search=rack)
    gpus: dict[int, list[tuple[int, str, str, str]]] = {}
    for node_id, index, uuid, state, why in db.execute(
        select(Gpu.node_id, Gpu.index, Gpu.uuid, GpuHealth.state, GpuHealth.why)
        .outerjoin(GpuHealth, GpuHealth.gpu_id == Gpu.id)
        .where(Gpu.node_id.in_([r[0] for r in rows]))
        .order_by(Gpu.node_id, Gpu.index)
    ):
        gpus.setdefault(node_id, []).append((index, uuid, state or UNKNOWN, why or "no report received yet"))
    nodes = [
        {
            "hostname": host,
            "position": pos,
            "state": life,
            "health": health or UNKNOWN,
            "why": why or "",
            "gpus": gpus.get(i, []),
        }
        for i, host, pos, life, health, why, _ in rows
    ]
    return render(
        request, "rack.html", who, site=site, rack=rack, pod=rows[0][-1], nodes=nodes, HealthState=HealthState
    )
