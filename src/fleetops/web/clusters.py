"""Console `/clusters/{name}`: a cluster's facts, its health map and its nodes with their health, sorted
and filtered on the server (by hostname, rack, lifecycle or health state), so a link can carry the view."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.health.choices import STATE_RANK, HealthState
from fleetops.health.models import NodeHealth
from fleetops.inventory import service as inventory
from fleetops.inventory.kinds import KINDS
from fleetops.inventory.summary import cluster_counts
from fleetops.web.healthmap import Shade, health_map
from fleetops.web.tally import Where
from fleetops.web.views import ViewerDep, find_or_page, render

router = APIRouter(include_in_schema=False)
MAX_NODES = 5000
SORTS = {
    "hostname": lambda n: n["hostname"],
    "rack": lambda n: (n["site"], n["rack"], n["position"] or 0),
    "state": lambda n: n["state"],
    "health": lambda n: (-STATE_RANK[HealthState(n["health"])], n["hostname"]),
}


def _nodes(db: Session, who: Principal, cluster: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    cursor = None
    while len(nodes) < MAX_NODES:  # the inventory pages by 1,000
        page = inventory.list_records(db, who, KINDS["node"], {"cluster": cluster}, cursor=cursor, limit=1000)
        nodes += page.items
        if (cursor := page.next_cursor) is None:
            break
    ids = [n["id"] for n in nodes]
    health = dict(
        db.execute(select(NodeHealth.node_id, NodeHealth.state).where(NodeHealth.node_id.in_(ids))).all()
        if ids
        else []
    )
    return [n | {"health": health.get(n["id"], HealthState.UNKNOWN.value)} for n in nodes]


def _view(nodes: list[dict[str, Any]], q: str, health: str, state: str, sort: str, desc: bool) -> list[Any]:
    q = q.strip().lower()
    shown = [
        n
        for n in nodes
        if (not q or q in n["hostname"].lower() or q in n["rack"].lower() or q in n["serial"].lower())
        and (not health or n["health"] == health)
        and (not state or n["state"] == state)
    ]
    return sorted(shown, key=SORTS.get(sort, SORTS["rack"]), reverse=desc)


@router.get("/clusters/{key}", response_class=HTMLResponse)
def cluster_page(
    request: Request,
    key: str,
    db: SessionDep,
    who: ViewerDep,
    q: str = "",
    health: str = "",
    state: str = "",
    sort: str = "rack",
    desc: bool = False,
) -> Response:
    if who is None:
        return render(request, "cluster.html", who)
    cluster = find_or_page(request, db, who, "cluster", key, "/clusters/{}")
    if isinstance(cluster, Response):
        return cluster
    nodes = _nodes(db, who, cluster["name"])
    return render(
        request,
        "cluster.html",
        who,
        cluster=cluster,
        nodes=_view(nodes, q, health, state, sort, desc),
        total=len(nodes),
        counts=cluster_counts(db, who, cluster["name"]),
        map=health_map(db, who, Where(cluster=cluster["name"])),
        view={"q": q, "health": health, "state": state, "sort": sort, "desc": desc},
        Shade=Shade,
        HealthState=HealthState,
    )
