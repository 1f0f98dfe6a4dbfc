"""Console `/remediation`: runs live, MTTR and the automation share (staff), and the clusters' settings as one
table, each row edited in a dialog (a customer its own clusters). Pages call the same services as the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from fleetops.api.deps import SessionDep
from fleetops.api.types import Id
from fleetops.auth.principal import Principal
from fleetops.errors import FleetopsError
from fleetops.inventory.models import Cluster
from fleetops.inventory.scope import visible
from fleetops.remediation import measures, service
from fleetops.remediation.choices import ActionKind, RunState
from fleetops.remediation.schemas import MaintenanceWindow, SettingsUpdate
from fleetops.web.views import ViewerDep, render, templates

router = APIRouter(include_in_schema=False)
_FRAGMENT = templates.env.from_string(
    '{% from "remediation.html" import runs_table %}{{ runs_table(runs, states) }}'
)
LIVE_S = 5


def _clusters(db: SessionDep, who: Principal) -> list[Cluster]:
    rule = visible("cluster", who)
    query = select(Cluster).order_by(Cluster.name).limit(500)
    return list(db.scalars(query if rule is None else query.where(rule)))


def _page(
    request: Request, db: SessionDep, who: Principal | None, error: str | None = None, status: int = 200
) -> Response:
    if who is None:
        return RedirectResponse("/login", status_code=303)
    staff = not who.role.tenant_scoped
    settings = [service.get_settings(db, who, c.id) for c in _clusters(db, who)]
    return render(
        request,
        "remediation.html",
        who,
        status,
        runs=service.list_runs(db, who, limit=100),
        summary=measures.summary(db) if staff else None,
        settings=settings,
        actions=list(ActionKind),
        states=RunState,
        error=error,
        switches=service.switches(db) if staff else [],
        live_s=LIVE_S,
    )


@router.get("/remediation", response_class=HTMLResponse)
def remediation_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    return _page(request, db, who)


@router.get("/remediation/runs", response_class=HTMLResponse)
def runs_fragment(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    """The runs table alone, refreshed by the page every few seconds (runs live during the demo)."""
    if who is None:
        return RedirectResponse("/login", status_code=303)
    html = _FRAGMENT.render(runs=service.list_runs(db, who, limit=100), states=RunState)
    return HTMLResponse(html)


def _window(start: str, end: str) -> list[MaintenanceWindow] | None:
    if not start and not end:
        return None
    parse = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731 - form times are UTC
    return [MaintenanceWindow(start=parse(start), end=parse(end), reason="set in the console")]


def allowed_from_form(scope: str, allowed: list[str] | None) -> list[str] | None:
    """`every` action (None), or `only` the ticked ones, where none ticked means none: the form says so."""
    return None if scope == "every" else list(allowed or [])


@router.post("/remediation/clusters/{cluster_id}/settings")
def save_settings(
    request: Request,
    cluster_id: Id,
    db: SessionDep,
    who: ViewerDep,
    enabled: Annotated[str | None, Form()] = None,
    dry_run: Annotated[str | None, Form()] = None,
    scope: Annotated[str, Form()] = "every",
    allowed: Annotated[list[str] | None, Form()] = None,
    approval: Annotated[list[str] | None, Form()] = None,
    window_start: Annotated[str, Form()] = "",
    window_end: Annotated[str, Form()] = "",
) -> Response:
    if who is None:
        return RedirectResponse("/login", status_code=303)
    try:
        windows = _window(window_start, window_end)
        fields = {
            "enabled": enabled is not None,
            "dry_run": dry_run is not None,
            "allowed_actions": allowed_from_form(scope, allowed),
            "approval_required": approval or [],
        }
        update = SettingsUpdate.model_validate(fields | ({"maintenance_windows": windows} if windows else {}))
        service.update_settings(db, who, cluster_id, update)
    except (ValidationError, ValueError) as exc:
        return _page(request, db, who, f"settings not saved: {exc}", 422)
    except FleetopsError as exc:
        return _page(request, db, who, exc.message, exc.status)
    return RedirectResponse("/remediation#settings", status_code=303)
