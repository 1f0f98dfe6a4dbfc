"""Console pages for fleet health: the /health page, and the health panel included in the node page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.db.session import get_database
from fleetops.errors import NotFound
from fleetops.health import service
from fleetops.health.choices import HealthState
from fleetops.web.views import ViewerDep, render, templates

router = APIRouter(include_in_schema=False)


def node_health_panel(node_id: int, who: Principal) -> dict[str, Any] | None:
    """For `_node_health.html` when the node page's handler did not pass `node_health` itself."""
    with get_database().transaction() as session:
        try:
            return service.node_health(session, who, node_id, recent=20)
        except NotFound:
            return None


templates.env.globals["node_health_panel"] = node_health_panel
templates.env.globals["HealthState"] = HealthState


@router.get("/health", response_class=HTMLResponse)
def health_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    if who is None:
        return render(request, "health.html", who)
    summary = service.summary(db, who)
    findings = service.list_findings(db, who, service.FindingQuery(open=True, limit=100))["items"]
    findings.sort(key=lambda f: ({"critical": 0, "warning": 1}.get(f["severity"], 2), -f["id"]))
    refused = service.rejections(db, who, 20) if not who.role.tenant_scoped else []
    return render(request, "health.html", who, summary=summary, findings=findings, rejections=refused)
