"""Console search `/search?q=`: a hostname, node or GPU serial, GPU UUID, cluster, site, rollout, incident
(`#12`) or ticket id goes straight to its page; anything else lists the hostnames and clusters that contain
it. Every lookup runs in the viewer's scope, so another tenant's record is simply not found. Also the
natural-key addresses that have no page of their own: `/gpus/{uuid}`, `/sites/{name}`, `/tickets/{id}`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.alerts.models import Outbox
from fleetops.alerts.views import visible_incident
from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.db.ids import as_id
from fleetops.deploy.views import visible_rollouts
from fleetops.inventory.kinds import KINDS
from fleetops.inventory.models import Cluster, Gpu, Node, Site
from fleetops.inventory.scope import visible
from fleetops.inventory.service import scoped_view
from fleetops.remediation.models import RemediationRun
from fleetops.web.views import ViewerDep, render

router = APIRouter(include_in_schema=False)
LISTED = 25


def _node_url(row: Any) -> str:
    return f"/nodes/{quote(row['hostname'])}"


def _gpu_url(row: Any) -> str:
    return f"/nodes/{quote(row['node'])}#gpu-{row['index']}"


# (kind, column, the page of a match), tried in order: the natural keys first, then the other unique ids.
EXACT = (
    ("node", Node.hostname, _node_url),
    ("node", Node.serial, _node_url),
    ("gpu", Gpu.uuid, _gpu_url),
    ("gpu", Gpu.serial, _gpu_url),
    ("cluster", Cluster.name, lambda row: f"/clusters/{quote(row['name'])}"),
    ("site", Site.name, lambda row: f"/map/{quote(row['name'])}"),
)


def _ticket(db: Session, who: Principal, key: str) -> str | None:
    """A ticket id: the remediation run that opened it (its node's page), or the incident it was sent for."""
    runs = select(RemediationRun.hostname).join(Node, Node.id == RemediationRun.node_id)
    rule = visible("node", who)
    hostname = db.scalar((runs if rule is None else runs.where(rule)).where(RemediationRun.ticket == key))
    if hostname is not None:
        return f"/nodes/{quote(hostname)}"
    for incident_id in db.scalars(select(Outbox.incident_id).where(Outbox.remote_id == key)):
        if incident_id is not None and visible_incident(db, who, incident_id):
            return f"/incidents/{incident_id}"
    return None


def exact(db: Session, who: Principal, q: str) -> str | None:
    """The one page `q` names, or None."""
    incident_id = as_id(q.lstrip("#"))
    if incident_id and visible_incident(db, who, incident_id) and q.startswith("#"):
        return f"/incidents/{q.lstrip('#')}"
    for kind, column, url in EXACT:
        row = db.execute(scoped_view(KINDS[kind], who).where(column == q)).mappings().first()
        if row is not None:
            return url(row)
    if visible_rollouts(db, who, q, limit=1):
        return f"/rollouts/{quote(q)}"
    return _ticket(db, who, q)


def _like(db: Session, who: Principal, kind: str, column: Any, q: str) -> list[Any]:
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    stmt = scoped_view(KINDS[kind], who).where(column.like(pattern, escape="\\")).order_by(column)
    return list(db.execute(stmt.limit(LISTED)).mappings())


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, db: SessionDep, who: ViewerDep, q: str = "") -> Response:
    if who is None:
        return render(request, "search.html", who)
    q = q.strip()
    if q and (url := exact(db, who, q)):
        return RedirectResponse(url, status_code=303)
    nodes = _like(db, who, "node", Node.hostname, q) if q else []
    clusters = _like(db, who, "cluster", Cluster.name, q) if q else []
    return render(
        request,
        "search.html",
        who,
        q=q,
        nodes=nodes,
        clusters=clusters,
        status=200 if nodes or clusters or not q else 404,
    )


@router.get("/gpus/{uuid}")
@router.get("/sites/{uuid}")
@router.get("/tickets/{uuid}")
def by_natural_key(request: Request, uuid: str, db: SessionDep, who: ViewerDep) -> Response:
    """A GPU, site or ticket address sends to the page that shows it; one that is not found lists matches."""
    if who is None:
        return RedirectResponse("/login", status_code=303)
    url = exact(db, who, uuid)
    return RedirectResponse(url or f"/search?q={quote(uuid)}", status_code=303 if url else 307)
