"""Console `/security/updates`: the emergency update runs with their progress, and one run's nodes and
timeline (what the post-incident review reads). Staff see every run; a customer or supplier sees the runs
over its own clusters (`service.listed`, `service.get`: the scope is in the query)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.security.updates import service
from fleetops.security.updates.choices import RunState, Step
from fleetops.web.views import ViewerDep, render, shown

router = APIRouter(include_in_schema=False)


@router.get("/security/updates", response_class=HTMLResponse)
def updates_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    def page(who: Principal) -> Response:
        runs = [(run, service.counts(db, run)) for run in service.listed(db, who)]
        return render(request, "security_updates.html", who, runs=runs, Step=Step, RunState=RunState)

    return shown(request, who, page)


@router.get("/security/updates/{name}", response_class=HTMLResponse)
def update_page(request: Request, name: str, db: SessionDep, who: ViewerDep) -> Response:
    def page(who: Principal) -> Response:
        run = service.get(db, who, name)
        return render(
            request,
            "security_update.html",
            who,
            run=run,
            counts=service.counts(db, run),
            nodes=service.nodes(db, run),
            timeline=service.timeline(db, run),
            Step=Step,
        )

    return shown(request, who, page)
