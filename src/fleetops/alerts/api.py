"""Alert routes: the Alertmanager webhook, incidents, explanations, measures and silences (thin)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fleetops.alerts import service
from fleetops.alerts.choices import IncidentStatus
from fleetops.alerts.schemas import (
    AlertMeasures,
    Explanation,
    IncidentRead,
    IngestResult,
    SilenceCreate,
    SilenceRead,
    WebhookPayload,
)
from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.api.types import Id
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.auth.service import authenticate
from fleetops.db.session import get_database
from fleetops.errors import FleetopsError, InvalidInput, Unauthenticated
from fleetops.wire import check_depth

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
MAX_BODY_BYTES = 4 * 1024 * 1024
WEBHOOK_ROLES = (Role.ADMIN, Role.OPERATOR)  # an integration token for Alertmanager


class PayloadTooLarge(InvalidInput):
    code = "payload_too_large"
    status = 413
    title = "Payload too large"


def _token(request: Request) -> str:
    """Alertmanager's http_config sends `authorization` (Bearer) or `basic_auth` (password = the token)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    if scheme.lower() == "basic" and value:
        try:
            _, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise Unauthenticated("basic auth: credentials are not valid base64 user:password") from exc
        if password:
            return password
    raise Unauthenticated(
        "webhook: send `Authorization: Bearer <token>` or basic auth with the token as password"
    )


def webhook_principal(request: Request, session: SessionDep) -> Principal:
    principal = authenticate(session, _token(request))
    principal.require(*WEBHOOK_ROLES)
    return principal


def _record(status: int, reason: str, body: bytes) -> None:
    """Rejections are written in their own transaction: the request's is rolled back by the error."""
    with get_database().transaction() as session:
        service.record_rejection(session, status, reason, body)


def _parse(body: bytes) -> WebhookPayload:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"webhook payload: {len(body)} bytes is over the {MAX_BODY_BYTES} byte limit")
    check_depth(body, "webhook payload")  # json recurses: 100,000 nested `[` raised RecursionError, a 500
    try:
        return WebhookPayload.model_validate(json.loads(body))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"webhook payload: not JSON ({exc})") from exc
    except ValueError as exc:  # a number past int()'s 4,300 digits: not JSON's own error, and was a 500
        raise InvalidInput(f"webhook payload: not JSON fleetops can read ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"webhook payload: field {where}: {first['msg']}") from exc


@router.post("/alertmanager", response_model=IngestResult)
async def alertmanager_webhook(
    request: Request, session: SessionDep, _: Annotated[Principal, Depends(webhook_principal)]
) -> IngestResult:
    declared = int(request.headers.get("content-length") or 0)
    body = b"" if declared > MAX_BODY_BYTES else await request.body()
    # the pipeline is synchronous database work: keep it off the event loop
    return await run_in_threadpool(_ingest, session, body, declared)


def _ingest(session: Session, body: bytes, declared: int) -> IngestResult:
    try:
        if declared > MAX_BODY_BYTES:
            raise PayloadTooLarge(
                f"webhook payload: {declared} bytes is over the {MAX_BODY_BYTES} byte limit"
            )
        payload = _parse(body)
    except FleetopsError as exc:
        _record(exc.status, exc.message, body)
        raise
    result = service.ingest_alertmanager(session, payload)
    if result.rejected and result.stored == 0:
        _record(422, "; ".join(result.rejected[:20]), body)
        raise InvalidInput(f"webhook payload: no alert could be placed: {result.rejected[0]}")
    if result.rejected:
        service.record_rejection(session, 422, "; ".join(result.rejected[:20]), body)
    return result


# What a tenant is not told: a customer, which supplier and site host its capacity; a supplier, whose
# capacity it is; neither, the internal routing (receivers, and the reason, which names the routes).
TENANT_HIDDEN = {Role.CUSTOMER: ("supplier", "site", "pod", "rack"), Role.SUPPLIER: ("customer",)}
INCIDENT_READERS = (Role.ADMIN, Role.OPERATOR, Role.VIEWER, Role.SECURITY, *TENANT_HIDDEN)


def _shown(principal: Principal, incident: Any) -> IncidentRead:
    read = IncidentRead.model_validate(incident)
    if principal.role not in TENANT_HIDDEN:
        return read
    labels = {k: v for k, v in read.labels.items() if k not in TENANT_HIDDEN[principal.role]}
    return read.model_copy(update={"labels": labels, "receivers": [], "reason": ""})


@router.get("/incidents", response_model=list[IncidentRead])
def list_incidents(
    session: SessionDep,
    principal: PrincipalDep,
    status: IncidentStatus | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[Any]:
    """Staff see every incident; a customer or supplier only those of its own clusters, redacted."""
    principal.require(*INCIDENT_READERS)
    rows = service.list_incidents(session, status, limit, principal)
    return rows if principal.role not in TENANT_HIDDEN else [_shown(principal, row) for row in rows]


@router.get("/incidents/{incident_id}", response_model=IncidentRead)
def get_incident(incident_id: Id, session: SessionDep, principal: PrincipalDep) -> Any:
    principal.require(*INCIDENT_READERS)
    return _shown(principal, service.incident_for(session, principal, incident_id))


@router.post("/incidents/{incident_id}/acknowledge", response_model=IncidentRead)
def acknowledge(incident_id: Id, session: SessionDep, principal: PrincipalDep) -> Any:
    principal.require_writer()
    return service.acknowledge(session, incident_id, principal.actor)


@router.get("/{alert_id}/explain", response_model=Explanation, response_model_exclude_unset=True)
def explain(alert_id: Id, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require(Role.ADMIN, Role.OPERATOR, Role.VIEWER)
    return service.explain(session, alert_id)


@router.get("/measures", response_model=AlertMeasures)
def measures(session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require(Role.ADMIN, Role.OPERATOR, Role.VIEWER)
    return service.measures(session)


@router.get("/silences", response_model=list[SilenceRead])
def list_silences(session: SessionDep, principal: PrincipalDep) -> list[Any]:
    principal.require(Role.ADMIN, Role.OPERATOR, Role.VIEWER)
    return service.list_silences(session)


@router.post("/silences", response_model=SilenceRead, status_code=201)
def create_silence(data: SilenceCreate, session: SessionDep, principal: PrincipalDep) -> Any:
    principal.require_writer()
    return service.create_silence(session, principal.actor, data)


@router.delete("/silences/{silence_id}", response_model=SilenceRead)
def expire_silence(silence_id: Id, session: SessionDep, principal: PrincipalDep) -> Any:
    principal.require_writer()
    return service.expire_silence(session, silence_id)
