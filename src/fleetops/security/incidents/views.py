"""Console `/security/incidents`: the list (open first) and one incident with its response clock, roles,
timeline, the customer notices as they will read, and sending them (writers) with each delivery's
state. Staff only; a confidential incident exists only for a `security` token (404 to everyone else,
decided in the service's query)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.security.incidents import notices, send, service
from fleetops.security.incidents.choices import IncidentState, Notice
from fleetops.web.views import ViewerDep, render, shown

router = APIRouter(include_in_schema=False)


def incident_context(session: Session, who: Principal, key: str) -> dict[str, Any]:
    row = service.get(session, who, key)
    rendered = {
        n: notices.render(session, who, row.key, n)
        for n in Notice
        if n is not Notice.POST_INCIDENT or row.state in notices.DONE
    }
    return {
        "incident": row,
        "sla": service.sla(row),
        "timeline": service.timeline(session, row),
        "notices": rendered,
        "sent": send.sent(session, row),
        "may_send": who.role in service.WRITERS,
    }


@router.get("/security/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    def page(who: Principal) -> Response:
        rows = service.listed(db, who)
        ordered = sorted(rows, key=lambda r: (r.state is IncidentState.CLOSED, r.priority.value, -r.id))
        return render(request, "security_incidents.html", who, incidents=ordered, sla=service.sla)

    return shown(request, who, page)


@router.get("/security/incidents/{key}", response_class=HTMLResponse)
def incident_page(request: Request, key: str, db: SessionDep, who: ViewerDep) -> Response:
    return shown(
        request,
        who,
        lambda who: render(request, "security_incident.html", who, **incident_context(db, who, key)),
    )


@router.post("/security/incidents/{key}/notices/{notice}/send")
def send_notice(
    request: Request,
    key: str,
    notice: Notice,
    db: SessionDep,
    who: ViewerDep,
    customers: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The same call as the API: every named customer gets the notice through the outbox, or none does."""

    def act(who: Principal) -> Response:
        send.send(db, who, key, notice, customers.split(","))
        return RedirectResponse(f"/security/incidents/{key}#sent", status_code=303)

    return shown(request, who, act)
