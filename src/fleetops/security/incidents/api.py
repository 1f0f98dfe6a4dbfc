"""`/api/v1/security/incidents`: declare, list, show (with the SLA clock and timeline), move, assign,
note, update, and the customer notices rendered per incident and sent. Thin; who sees what is the
service's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.security.incidents import notices, send, service
from fleetops.security.incidents.choices import Notice
from fleetops.security.incidents.models import SecurityIncident
from fleetops.security.incidents.schemas import (
    Assign,
    EventRead,
    IncidentCreate,
    IncidentDetail,
    IncidentRead,
    IncidentUpdate,
    Move,
    NoteCreate,
    NoticeRead,
    NoticeSend,
)

router = APIRouter(prefix="/api/v1/security/incidents", tags=["security: incidents"])


def _detail(session: Session, row: SecurityIncident) -> IncidentDetail:
    events = [EventRead.model_validate(e) for e in service.timeline(session, row)]
    read = IncidentDetail.model_validate(row)
    return read.model_copy(update={"sla": service.sla(row), "timeline": events})


@router.post("", response_model=IncidentDetail, status_code=201, summary="Declare a security incident")
def declare(body: IncidentCreate, session: SessionDep, principal: PrincipalDep) -> IncidentDetail:
    return _detail(session, service.declare(session, principal, **body.model_dump()))


@router.get("", response_model=list[IncidentRead], summary="Security incidents, newest first")
def list_incidents(
    session: SessionDep, principal: PrincipalDep, open_only: bool = False
) -> list[IncidentRead]:
    return [IncidentRead.model_validate(r) for r in service.listed(session, principal, open_only)]


@router.get("/{key}", response_model=IncidentDetail, summary="One incident: SLA clock and timeline")
def show(key: str, session: SessionDep, principal: PrincipalDep) -> IncidentDetail:
    return _detail(session, service.get(session, principal, key))


@router.patch("/{key}", response_model=IncidentDetail, summary="Summary, root cause, priority, secrecy")
def update(key: str, body: IncidentUpdate, session: SessionDep, principal: PrincipalDep) -> IncidentDetail:
    fields = body.model_dump(exclude_none=True)
    return _detail(session, service.update(session, principal, key, **fields))


@router.post("/{key}/state", response_model=IncidentDetail, summary="Move through the lifecycle")
def move(key: str, body: Move, session: SessionDep, principal: PrincipalDep) -> IncidentDetail:
    return _detail(session, service.move(session, principal, key, body.state, body.why))


@router.post("/{key}/roles", response_model=IncidentDetail, summary="Name a commander, comms or tech lead")
def assign(key: str, body: Assign, session: SessionDep, principal: PrincipalDep) -> IncidentDetail:
    return _detail(session, service.assign(session, principal, key, body.role, body.person))


@router.post("/{key}/notes", response_model=EventRead, status_code=201, summary="Add to the timeline")
def note(key: str, body: NoteCreate, session: SessionDep, principal: PrincipalDep) -> EventRead:
    return EventRead.model_validate(service.note(session, principal, key, body.text, body.public))


@router.get("/{key}/notices/{notice}", response_class=PlainTextResponse, summary="A customer notice")
def notice(key: str, notice: Notice, session: SessionDep, principal: PrincipalDep) -> str:
    return notices.render(session, principal, key, notice)


@router.post(
    "/{key}/notices/{notice}/send",
    status_code=201,
    summary="Send a notice to the customers",
    response_model=list[NoticeRead],
)
def send_notice(
    key: str, notice: Notice, body: NoticeSend, session: SessionDep, principal: PrincipalDep
) -> list[dict[str, Any]]:
    """One Slack message per customer through the outbox (their webhooks from the settings); all or
    none. Answers every notice queued for the incident so far, with its delivery state."""
    return send.send(session, principal, key, notice, body.customers)
