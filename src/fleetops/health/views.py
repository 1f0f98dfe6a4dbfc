"""Console `/health`: GPUs and nodes by health, causes, coverage per cluster, open findings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.health import service
from fleetops.health.choices import HealthState
from fleetops.web.views import ViewerDep, render, render_part, templates

router = APIRouter(include_in_schema=False)


templates.env.globals["HealthState"] = HealthState


LIVE_S = 10


def _context(db: SessionDep, who: Principal) -> dict[str, Any]:
    findings = service.list_findings(db, who, service.FindingQuery(open=True, limit=100))["items"]
    findings.sort(key=lambda f: ({"critical": 0, "warning": 1}.get(f["severity"], 2), -f["id"]))
    return {
        "summary": service.summary(db, who),
        "findings": findings,
        "rejections": service.rejections(db, who, 20) if not who.role.tenant_scoped else [],
        "live_s": LIVE_S,
    }


@router.get("/health", response_class=HTMLResponse)
def health_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    if who is None:
        return render(request, "health.html", who)
    return render(request, "health.html", who, **_context(db, who))


@router.get("/live/health", response_class=HTMLResponse)
def health_live(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    """The page's body alone, fetched by the page every few seconds (and by a wall screen)."""
    return render_part(request, "_health.html", who, **(_context(db, who) if who else {}))
