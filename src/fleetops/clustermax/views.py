"""Console `/clustermax`: every visible cluster's readiness at a glance, and one cluster's checklist."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.clustermax.readiness import ITEMS, readiness
from fleetops.web.views import ViewerDep, render, shown

router = APIRouter(include_in_schema=False)


@router.get("/clustermax", response_class=HTMLResponse)
def clustermax_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    return _page(request, db, who, None)


@router.get("/clustermax/{cluster}", response_class=HTMLResponse)
def cluster_page(request: Request, cluster: str, db: SessionDep, who: ViewerDep) -> Response:
    return _page(request, db, who, cluster)


def _page(request: Request, db: SessionDep, who: ViewerDep, cluster: str | None) -> Response:
    def page(who: Principal) -> Response:
        rows = readiness(db, who, cluster)
        if cluster is None:
            return render(request, "clustermax.html", who, rows=rows, items=ITEMS)
        return render(request, "clustermax_cluster.html", who, row=rows[0])

    return shown(request, who, page)
