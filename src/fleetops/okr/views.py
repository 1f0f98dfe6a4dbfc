"""Console `/okr`: the goals' key results with their current value, status and the records behind each,
and each one's weekly history over the last quarter against its target."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fleetops.api.deps import SessionDep
from fleetops.api.types import Days
from fleetops.auth.principal import Principal
from fleetops.okr.history import history
from fleetops.okr.scorecard import scorecard
from fleetops.web.views import ViewerDep, render, shown

router = APIRouter(include_in_schema=False)


@router.get("/okr", response_class=HTMLResponse)
def okr_page(request: Request, db: SessionDep, who: ViewerDep, days: Days = 30) -> Response:
    def page(who: Principal) -> Response:
        rows = scorecard(db, who, days)
        return render(request, "okr.html", who, rows=rows, days=days, history=history(db, who))

    return shown(request, who, page)
