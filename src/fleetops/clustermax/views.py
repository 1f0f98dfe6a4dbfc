"""Console `/clustermax`: every visible cluster's readiness at a glance, and one cluster's checklist."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fleetops.api.deps import SessionDep
from fleetops.clustermax.readiness import ITEMS, readiness
from fleetops.errors import FleetopsError
from fleetops.web.views import ViewerDep, render

router = APIRouter(include_in_schema=False)


@router.get("/clustermax", response_class=HTMLResponse)
def clustermax_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    return _page(request, db, who, None)


@router.get("/clustermax/{cluster}", response_class=HTMLResponse)
def cluster_page(request: Request, cluster: str, db: SessionDep, who: ViewerDep) -> Response:
    return _page(request, db, who, cluster)


def _page(request: Request, db: SessionDep, who: ViewerDep, cluster: str | None) -> Response:
    if who is None:
        return RedirectResponse("/login", status_code=303)
    try:
        rows = readiness(db, who, cluster)
    except FleetopsError as exc:
        return render(request, "error.html", who, status=exc.status, error=exc.message)
    if cluster is None:
        return render(request, "clustermax.html", who, rows=rows, items=ITEMS)
    return render(request, "clustermax_cluster.html", who, row=rows[0])
