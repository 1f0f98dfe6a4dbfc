"""Console `/security/access`: who reaches production as which login, the flags, the reduction against
the baseline, and the open access requests with grant, deny and revoke for the roles that may decide.
Staff only, like the API: a customer or supplier token gets the 403 page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fleetops.api.deps import SessionDep
from fleetops.api.types import Id
from fleetops.auth.principal import Principal
from fleetops.errors import NotFound
from fleetops.security.access import requests, service
from fleetops.security.access.choices import FlagKind, RequestState
from fleetops.security.access.models import AccessFlag, AccessReach
from fleetops.web.views import ViewerDep, render, shown

router = APIRouter(include_in_schema=False)
OPEN = (RequestState.REQUESTED, RequestState.GRANTED)
VERBS = {RequestState.REQUESTED: ("grant", "deny"), RequestState.GRANTED: ("revoke",)}


def people(reaches: Sequence[AccessReach], flags: Sequence[AccessFlag]) -> list[dict[str, Any]]:
    """One row per person with a path into production: logins, systems, standing or on request only."""
    rows: dict[str, dict[str, Any]] = {}
    for r in reaches:
        row = rows.setdefault(
            r.user,
            {
                "user": r.user,
                "role": r.role,
                "logins": set(),
                "systems": set(),
                "standing": False,
                "paths": [],
            },
        )
        row["logins"] |= {r.login} if r.login else set()
        row["systems"].add(r.system)
        row["standing"] = row["standing"] or r.standing
        row["paths"].append(r)
    kinds: dict[str, list[FlagKind]] = defaultdict(list)
    for f in flags:
        kinds[f.user].append(f.kind)
    for user, row in rows.items():
        row["flags"] = sorted(set(kinds[user]), key=lambda k: k.value)
        row["logins"], row["systems"] = sorted(row["logins"]), sorted(row["systems"])
    return sorted(rows.values(), key=lambda r: (not r["flags"], not r["standing"], r["user"]))


def access_context(session: Session, who: Principal) -> dict[str, Any]:
    who.require_staff()
    try:
        report = service.report(session, who)
    except NotFound:
        report = None
    open_requests = [r for r in requests.listed(session, who) if r.state in OPEN]
    may_decide = who.role in requests.APPROVERS
    return {
        "report": report,
        "people": people(report["reaches"], report["flags"]) if report else [],
        "requests": open_requests,
        "verbs": {r.id: VERBS[r.state] if may_decide else () for r in open_requests},
        "FlagKind": FlagKind,
        "RequestState": RequestState,
    }


@router.get("/security/access", response_class=HTMLResponse)
def access_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    return shown(
        request, who, lambda who: render(request, "security_access.html", who, **access_context(db, who))
    )


@router.post("/security/access/requests/{request_id}/{verb}")
def decide(
    request: Request,
    request_id: Id,
    verb: Literal["grant", "deny", "revoke"],
    db: SessionDep,
    who: ViewerDep,
    why: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The same service calls as the API (approvers only, never the requester nor the person)."""

    def act(who: Principal) -> Response:
        if verb == "revoke":
            requests.revoke(db, who, request_id, why or "revoked from the console")
        else:
            requests.decide(db, who, request_id, verb == "grant", why or f"{verb} from the console")
        return RedirectResponse(f"/security/access#request-{request_id}", status_code=303)

    return shown(request, who, act)
