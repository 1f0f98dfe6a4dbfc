"""Console `/addons`: each of the viewer's clusters with its add-ons (version, on/off, settings), a form
to change one (the same service as the API, so a refusal names the same JSON pointer), and, for staff,
how many active clusters run each add-on."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fleetops.addons import service
from fleetops.addons.catalog import catalog
from fleetops.addons.states import read_states
from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.errors import FleetopsError
from fleetops.web.views import ViewerDep, render

router = APIRouter(include_in_schema=False)
PAGE_CLUSTERS = 50


def _page(
    request: Request, db: SessionDep, who: Principal | None, error: str | None = None, status: int = 200
) -> Response:
    if who is None:
        return RedirectResponse("/login", status_code=303)
    clusters = service.scoped_clusters(db, who)[:PAGE_CLUSTERS]
    states = read_states(db, clusters)
    staff = not who.role.tenant_scoped
    return render(
        request,
        "addons.html",
        who,
        status,
        clusters=[(c, states[c.id]) for c in clusters],
        catalog=catalog(),
        coverage=service.coverage(db) if staff else None,
        error=error,
    )


@router.get("/addons", response_class=HTMLResponse)
def addons_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    return _page(request, db, who)


@router.post("/addons/{cluster}/{addon}")
def save_addon(
    request: Request,
    cluster: str,
    addon: str,
    db: SessionDep,
    who: ViewerDep,
    enabled: Annotated[str | None, Form()] = None,
    version: Annotated[str, Form()] = "",
    settings: Annotated[str, Form()] = "",
) -> Response:
    if who is None:
        return RedirectResponse("/login", status_code=303)
    try:
        given = json.loads(settings) if settings.strip() else None
        change = service.AddonChange(enabled=enabled is not None, version=version or None, settings=given)
        service.change(db, who, cluster, addon, change)
    except json.JSONDecodeError as exc:
        return _page(request, db, who, f"{cluster}/{addon}: settings are not JSON ({exc})", 422)
    except FleetopsError as exc:
        db.rollback()
        return _page(request, db, who, exc.message, exc.status)
    return RedirectResponse("/addons", status_code=303)
