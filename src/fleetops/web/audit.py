"""Console `/audit`: who changed what and when, newest first, filtered by actor, action, target type and
target key, paged backwards by id. Staff only, as in the API (a tenant gets a 403 page)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from fleetops.api.deps import SessionDep
from fleetops.api.types import Cursor
from fleetops.audit.models import AuditEvent
from fleetops.auth.principal import Principal
from fleetops.web.views import ViewerDep, render, shown

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
    def page(who: Principal) -> Response:
        who.require_staff()  # the API's rule: a tenant gets the 403 page
        view = {"actor": actor, "action": action, "target_type": target_type, "target_key": target_key}
        stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE)
        for name, value in view.items():
            stmt = stmt.where(FILTERS[name] == value) if value else stmt
        entries = list(db.scalars(stmt.where(AuditEvent.id < before) if before else stmt))
        older = entries[-1].id if len(entries) == PAGE else None
        return render(request, "audit.html", who, entries=entries, view=view, older=older)

    return shown(request, who, page)
