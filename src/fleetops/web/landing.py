"""The landing page `/`: what needs a person, the health map, the trends, then the inventory counts; and
the map's drill-down pages `/map/{site}` and `/map/{site}/{pod}`. The live part is served alone at
`/live/landing` for the page (and a wall screen) to refresh without reloading."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from fleetops.alerts.choices import Priority
from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.cycles import collector_paused
from fleetops.web.attention import attention
from fleetops.web.healthmap import Shade, health_map, places
from fleetops.web.overview import fleet_coverage, fleet_summary
from fleetops.web.tally import Where, tally
from fleetops.web.trends import trends
from fleetops.web.views import ViewerDep, render, render_part

router = APIRouter(include_in_schema=False)
LIVE_S = 10


def landing_context(db: Session, who: Principal) -> dict[str, Any]:
    """The map, the inventory counts and the coverage all come from one grouped read of the fleet.

    With the cycle collector paused: the fold allocates ~100,000 short-lived objects at 100,000 nodes,
    and the full passes it set off over the process's heap were a third of the page's CPU (100 ms)."""
    with collector_paused():
        counted, racks = tally(db, who), places(db)
        fleet = fleet_coverage(db, counted)  # staff: the whole fleet's, the coverage trend walks back from
        return {
            "attention": attention(db, who),
            "coverage": fleet,
            "map": health_map(db, who, counted=counted, racks=racks),
            "summary": fleet_summary(db, who, counted, racks),
            "trends": None if who.role.tenant_scoped else trends(db, fleet),
            "Shade": Shade,
            "Priority": Priority,
            "live_s": LIVE_S,
        }


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    if who is None:
        return render(request, "landing.html", who)
    return render(request, "landing.html", who, **landing_context(db, who))


@router.get("/live/landing", response_class=HTMLResponse)
def landing_live(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    return render_part(request, "_landing.html", who, **(landing_context(db, who) if who else {}))


@router.get("/map/{site}", response_class=HTMLResponse)
@router.get("/map/{site}/{pod}", response_class=HTMLResponse)
def map_page(request: Request, site: str, db: SessionDep, who: ViewerDep, pod: str | None = None) -> Response:
    """One site (or one pod of it), rack by rack: a level down from the landing page's map."""
    if who is None:
        return render(request, "map.html", who)
    found = health_map(db, who, Where(site=site, pod=pod))
    if not found.nodes:
        where = f"pod {pod} of site {site}" if pod else f"site {site}"
        return render(
            request,
            "error.html",
            who,
            status=404,
            error=f"{where}: no such place, or none of its nodes is yours",
        )
    return render(request, "map.html", who, map=found, site=site, pod=pod, Shade=Shade)
