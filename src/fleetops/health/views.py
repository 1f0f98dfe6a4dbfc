"""Console `/health`: GPUs and nodes by health, causes, coverage per cluster, open findings."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fleetops.api.deps import SessionDep
from fleetops.health import service
from fleetops.health.choices import HealthState
from fleetops.web.views import ViewerDep, render, templates

router = APIRouter(include_in_schema=False)


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
