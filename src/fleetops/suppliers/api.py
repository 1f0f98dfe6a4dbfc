"""`/api/v1/scorecards`: supplier scorecards (JSON, CSV), the Supplier Technical Requirements and the
supplier's acknowledgements (of a requirements version, of an incident forwarded to it).

Staff and sales read every supplier's card, a supplier its own only (another's is a 404 like a missing
one); customers none. Sales tokens are answered nowhere else (`Principal.require_path`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from fleetops.api import bodies
from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.api.types import Days, Id
from fleetops.auth.principal import Principal
from fleetops.errors import NotFound
from fleetops.suppliers import export, incidents, requirements, schemas
from fleetops.suppliers.scorecard import READERS, Period, Scorecard, scorecards, visible_suppliers
from fleetops.suppliers.views import presales_html

router = APIRouter(prefix="/api/v1/scorecards", tags=["suppliers"])


class RequirementCreate(BaseModel):
    title: str
    body: str


def _requirement(row: Any) -> dict[str, Any]:
    return {
        "version": row.version,
        "title": row.title,
        "body": row.body,
        "published_by": row.published_by,
        "published_at": row.published_at.isoformat(),
    }


@router.get(
    "", summary="Every supplier scorecard the caller may read", response_model=list[schemas.ScorecardRead]
)
def list_cards(
    session: SessionDep, principal: PrincipalDep, days: Days = 30, end: datetime | None = None
) -> list[dict[str, Any]]:
    cards = scorecards(session, visible_suppliers(session, principal), Period.ending(end, days))
    return [export.as_dict(c) for c in cards]


@router.get(
    "/export.csv",
    response_class=PlainTextResponse,
    responses=bodies.files({"text/csv": bodies.TEXT}),
    summary="Scorecards as CSV",
)
def cards_csv(
    session: SessionDep,
    principal: PrincipalDep,
    days: Days = 30,
    end: datetime | None = None,
    supplier: str | None = None,
) -> PlainTextResponse:
    suppliers = visible_suppliers(session, principal, supplier)
    if supplier is not None and not suppliers:
        raise NotFound(f"supplier {supplier}: no such supplier")
    cards = scorecards(session, suppliers, Period.ending(end, days))
    return PlainTextResponse(export.as_csv(cards), media_type="text/csv")


def _one(session: Session, principal: Principal, name: str, days: float, end: datetime | None) -> Scorecard:
    suppliers = visible_suppliers(session, principal, name)
    if not suppliers:
        raise NotFound(f"supplier {name}: no such supplier")
    return scorecards(session, suppliers, Period.ending(end, days))[0]


@router.get("/suppliers/{name}", summary="One supplier's scorecard", response_model=schemas.ScorecardRead)
def get_card(
    name: str, session: SessionDep, principal: PrincipalDep, days: Days = 30, end: datetime | None = None
) -> dict[str, Any]:
    return export.as_dict(_one(session, principal, name, days, end))


@router.get("/suppliers/{name}/export.html", response_class=HTMLResponse, summary="The presales page")
def card_html(
    name: str, session: SessionDep, principal: PrincipalDep, days: Days = 30, end: datetime | None = None
) -> HTMLResponse:
    return HTMLResponse(presales_html(_one(session, principal, name, days, end), days))


@router.get(
    "/suppliers/{name}/export.pdf",
    response_class=Response,
    responses=bodies.files({"application/pdf": bodies.TEXT}),
    summary="The presales page as PDF (headless Chromium)",
)
def card_pdf(
    name: str, session: SessionDep, principal: PrincipalDep, days: Days = 30, end: datetime | None = None
) -> Response:
    html = presales_html(_one(session, principal, name, days, end), days)
    return Response(export.as_pdf(html), media_type="application/pdf")


@router.get(
    "/requirements",
    summary="Supplier Technical Requirements, newest version first",
    response_model=list[schemas.RequirementRead],
)
def list_requirements(session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    principal.require(*READERS)
    return [_requirement(r) for r in requirements.versions(session)]


@router.post(
    "/requirements",
    status_code=201,
    summary="Publish a new version of the requirements",
    response_model=schemas.RequirementRead,
)
def publish(data: RequirementCreate, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return _requirement(requirements.publish(session, principal, data.title, data.body))


@router.post(
    "/requirements/{version}/acknowledge",
    summary="The calling supplier acknowledges a version",
    response_model=schemas.RequirementAcknowledged,
)
def acknowledge_requirements(version: Id, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    ack = requirements.acknowledge(session, principal, version)
    return {"version": version, "acknowledged_by": ack.acknowledged_by, "at": ack.acknowledged_at.isoformat()}


@router.post(
    "/incidents/{incident_id}/acknowledge",
    summary="The calling supplier takes an incident",
    response_model=schemas.IncidentAcknowledged,
)
def acknowledge_incident(incident_id: Id, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    at = incidents.acknowledge(session, principal, incident_id)
    return {"incident": incident_id, "acknowledged_at": at.isoformat()}
