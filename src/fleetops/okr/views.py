"""Console `/okr`: the goals' key results with their current value, status and the records behind each,
and each one's weekly history over the last quarter against its target."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fleetops.api.deps import SessionDep
from fleetops.errors import FleetopsError
from fleetops.okr.history import history
from fleetops.okr.scorecard import scorecard
from fleetops.web.views import ViewerDep, render

router = APIRouter(include_in_schema=False)


@router.get("/okr", response_class=HTMLResponse)
def okr_page(
    request: Request, db: SessionDep, who: ViewerDep, days: float = Query(30, gt=0, le=366)
) -> Response:
    if who is None:
        return RedirectResponse("/login", status_code=303)
    try:
        rows = scorecard(db, who, days)
    except FleetopsError as exc:
        return render(request, "error.html", who, status=exc.status, error=exc.message)
    return render(request, "okr.html", who, rows=rows, days=days, history=history(db, who))
