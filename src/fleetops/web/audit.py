"""Console `/audit`: who changed what and when, newest first, filtered by actor, action, target type and
target key, paged backwards by id. Staff only, as in the API (a tenant gets a 403 page)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from fleetops.api.deps import SessionDep
from fleetops.api.types import Cursor
from fleetops.audit.models import AuditEvent
from fleetops.errors import Forbidden
from fleetops.web.views import ViewerDep, render

router = APIRouter(include_in_schema=False)
PAGE = 100
FILTERS = {
    "actor": AuditEvent.actor,
    "action": AuditEvent.action,
    "target_type": AuditEvent.target_type,
    "target_key": AuditEvent.target_key,
}


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    db: SessionDep,
    who: ViewerDep,
    actor: str = "",
    action: str = "",
    target_type: str = "",
    target_key: str = "",
    before: Cursor | None = None,
) -> Response:
    if who is None:
        return render(request, "audit.html", who)
    if who.role.tenant_scoped:
        error = Forbidden("audit: the audit log is for staff (admin, operator, viewer)")
        return render(request, "error.html", who, status=error.status, error=error.message)
    view = {"actor": actor, "action": action, "target_type": target_type, "target_key": target_key}
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE)
    for name, value in view.items():
        stmt = stmt.where(FILTERS[name] == value) if value else stmt
    entries = list(db.scalars(stmt.where(AuditEvent.id < before) if before else stmt))
    older = entries[-1].id if len(entries) == PAGE else None
    return render(request, "audit.html", who, entries=entries, view=view, older=older)
