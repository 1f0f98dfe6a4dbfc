"""Console `/audit`: who changed what and when, newest first, filtered by actor, action, target type and
target key, paged backwards by id. Staff only, as in the API (a tenant gets a 403 page)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fleetops.api.deps import SessionDep
from fleetops.api.types import Cursor
from fleetops.audit.service import AuditQuery, query
from fleetops.auth.principal import Principal
from fleetops.web.views import ViewerDep, render, shown

router = APIRouter(include_in_schema=False)
PAGE = 100


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
        chosen = {name: value or None for name, value in view.items()}
        wanted = AuditQuery(**chosen, before_id=before, newest_first=True, limit=PAGE)
        entries = list(query(db, wanted))
        older = entries[-1].id if len(entries) == PAGE else None
        return render(request, "audit.html", who, entries=entries, view=view, older=older)

    return shown(request, who, page)
