"""Health endpoints: agents post reports; people and tools read node health, findings, coverage, summary.

No `from __future__ import annotations`: FastAPI must see the dependency types themselves.
"""

import logging
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from fleetops.api.bodies import declared
from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.api.problems import domain_problem_body, problem_body, respond, send_json
from fleetops.api.types import Cursor, Id
from fleetops.auth.principal import Principal
from fleetops.config import settings
from fleetops.db.session import get_database
from fleetops.errors import FleetopsError, Unauthenticated
from fleetops.health import schemas, service
from fleetops.health.coverage import coverage
from fleetops.health.ingest import MAX_BODY_BYTES, IngestResult
from fleetops.health.intake import Intake, Posted, relayed_posts, stored_here
from fleetops.health.schemas import IngestRead
from fleetops.inventory.kinds import KINDS
from fleetops.inventory.service import find

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/health", tags=["health"])
REPORTS_PATH = "/api/v1/health/reports"
RELAY_PATH = "/api/v1/health/relay"


def _header(scope: Scope, name: bytes) -> str:
    """One request header straight from the ASGI scope (names are lower-case there), without building
    Starlette's header map: read on every report POST."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def bearer_token(scope: Scope) -> str:
    scheme, _, token = _header(scope, b"authorization").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing API token: send `Authorization: Bearer <token>`")
    return token.strip()


def intake(app: Any) -> Intake:
    """The app's report intake, made on first use so any app that includes this router has one."""
    found = getattr(app, "report_intake", None)  # not app.state: Starlette's State lookup is slower
    if found is None:
        config = settings()
        in_flight = config.ingest_in_flight or (1 if get_database().is_sqlite else 2)
        found = app.report_intake = Intake(config.ingest_window_ms / 1000, answered_here, in_flight)
    return found


async def answered_here(group: list[Posted]) -> list[tuple[int, dict[str, Any]]]:
    """Store a group in this process's database; each POST's answer, as `answer` words it."""
    return [answer(outcome) for outcome in await stored_here(group)]


class Body:
    """The raw body, read up to the limit: an oversized body is measured, never buffered whole."""

    def __init__(self, data: bytes | None, size: int) -> None:
        self.data, self.size = data, size


async def raw_body(scope: Scope, receive: Receive) -> Body:
    declared = _header(scope, b"content-length")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return Body(None, int(declared))
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk, more = message.get("body", b""), message.get("more_body", False)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return Body(None, size)
        chunks.append(chunk)
    return Body(chunks[0] if len(chunks) == 1 else b"".join(chunks), size)


def answer(outcome: Any) -> tuple[int, dict[str, Any]]:
    """The status and body a report POST is answered with, directly or through a relay: its result, or
    the problem that refused it."""
    if isinstance(outcome, BaseException):
        if not isinstance(outcome, FleetopsError):
            log.error("report POST failed", exc_info=outcome)
            outcome = FleetopsError("storing the reports failed; send them again", retryable=True)
        return outcome.status, domain_problem_body(outcome, REPORTS_PATH)
    result: IngestResult = outcome
    payload = result.as_dict()
    if result.status >= 400:
        refused = (
            next(r for r in result.results if r.outcome == "rejected") if result.count("rejected") else None
        )
        detail = refused.detail if refused else "every report in the batch was already stored"
        title = {409: "Duplicate reports", 413: "Body too large", 422: "Report refused"}[result.status]
        payload = {
            **problem_body(result.status, title, detail, f"health_{result.status}", REPORTS_PATH),
            **payload,
        }
    return result.status, payload


async def report_outcome(queue: Intake, scope: Scope, receive: Receive) -> tuple[int, dict[str, Any]]:
    """Read one report POST, queue it, and say how to answer it once its group is stored: the control
    plane (its group stored here) and the relay (its group forwarded) alike."""
    try:
        token = bearer_token(scope)
        body = await raw_body(scope, receive)
        return await queue.submit(token, body.data, body.size)  # a store answers (status, body)
    except FleetopsError as exc:
        return answer(exc)


async def take_reports(request: Request, queue: Intake) -> JSONResponse:
    return respond(*await report_outcome(queue, request.scope, request.receive))


def is_report_post(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["path"] == REPORTS_PATH and scope["method"] == "POST"


async def serve_reports(app: Any, scope: Scope, receive: Receive, send: Send) -> None:
    """The agents' report POST on raw ASGI, ahead of all of FastAPI (fleetops.api.app.App): the hottest
    request (every node, every 30 s) skips FastAPI's telemetry and body-limit wrappers, its error
    middleware, routing through included routers and dependency machinery, and stdlib JSON encoding.
    It renders its own errors as problem+json; one nobody expected answers a retryable 500 and is logged."""
    try:
        status, payload = await report_outcome(intake(app), scope, receive)
    except ClientDisconnect:
        return
    except Exception as exc:  # noqa: BLE001 - the answer FastAPI's error middleware would give, as a problem
        status, payload = answer(exc)
    await send_json(send, status, payload)


@router.post(
    "/reports",
    response_model=IngestRead,
    summary="Ingest agent reports",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": '`{"reports": [NodeReport, ...]}` (at most 64, what fleetops-agent sends), a JSON '
            "list of reports, or one report. NodeReport is `fleetops.wire.NodeReport`, schema_version 1.",
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {
                                "type": "object",
                                "required": ["reports"],
                                "properties": {
                                    "reports": {
                                        "type": "array",
                                        "minItems": 1,
                                        "maxItems": 64,
                                        "items": {"type": "object"},
                                    }
                                },
                            },
                            {"type": "array", "minItems": 1, "maxItems": 64, "items": {"type": "object"}},
                            {"type": "object", "required": ["hostname", "agent_version", "collected_at"]},
                        ]
                    }
                }
            },
        }
    },
    responses={
        409: {"description": "Every report was already stored"},
        413: {"description": "Body over 16 MiB"},
        422: {"description": "At least one report refused; `results` says which and why"},
    },
)
async def post_reports(request: Request) -> JSONResponse:
    """A batch `{"reports": [...]}`, a JSON list or a single report. Accepted reports are stored even when
    others in the batch are refused; each refusal is recorded and shown in `results`. (Served by
    `serve_reports` ahead of FastAPI; this route documents it, and answers the same if reached.)"""
    return await take_reports(request, intake(request.app))


@router.post(
    "/relay",
    summary="Agents' report POSTs forwarded by a relay (relay token)",
    responses={200: {"description": "`answers`: per forwarded POST, the status and body it is answered"}},
    response_model=schemas.RelayRead,
)
async def post_relay(request: Request) -> dict[str, Any]:
    """`{"posts": [{"token": AGENT_TOKEN, "body": <the agent's JSON body>, "size": BYTES}, ...]}` from
    `fleetops relay`: every POST is stored as if its agent had sent it here (its own token, its own
    outcome), all of them in one request and one group."""
    token, body = bearer_token(request.scope), await raw_body(request.scope, request.receive)
    posts = await run_in_threadpool(relayed_posts, token, body.data, body.size)
    return {"answers": [{"status": status, "body": body} for status, body in await answered_here(posts)]}


NODE_DOC = "`{node}`: the node's hostname or its numeric id (the hostname is tried first)."


def _node_id(db: Session, who: Principal, node: str) -> int:
    return int(find(db, who, KINDS["node"], node)["id"])


@router.get(
    "/nodes/{node}",
    summary="One node's health, GPUs, findings and history",
    description=NODE_DOC,
    **declared(schemas.NodeHealthRead),
)
def get_node(node: str, db: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    return service.node_health(db, who, _node_id(db, who, node))


@router.get("/findings", summary="Findings, newest first", **declared(schemas.FindingPage))
def get_findings(
    db: SessionDep,
    who: PrincipalDep,
    open: bool | None = None,
    node: str | None = None,
    cluster: str | None = None,
    check: str | None = Query(None, description="e.g. xid, node_silent, ecc_uncorrectable_volatile"),
    severity: str | None = Query(None, description="info, warning or critical"),
    xid: Id | None = None,
    since: datetime | None = None,
    cursor: Cursor | None = None,
    limit: int = Query(100, ge=1, le=service.MAX_LIMIT),
) -> dict[str, Any]:
    for kind, name in (("node", node), ("cluster", cluster)):
        if name is not None:
            find(db, who, KINDS[kind], name)  # a typo is a 404 naming it, not an empty list
    query = service.FindingQuery(open, node, cluster, check, severity, xid, since, cursor, limit)
    return service.list_findings(db, who, query)


@router.get("/coverage", summary="FSH coverage per cluster and supplier", **declared(schemas.CoverageRead))
def get_coverage(db: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    return coverage(db, who).as_dict()


@router.get("/summary", summary="Fleet health at a glance", **declared(schemas.SummaryRead))
def get_summary(db: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    return service.summary(db, who)


@router.get("/rejections", summary="Refused reports (staff only)", **declared(schemas.RejectionPage))
def get_rejections(
    db: SessionDep, who: PrincipalDep, limit: int = Query(100, ge=1, le=1000)
) -> dict[str, Any]:
    return {"items": service.rejections(db, who, limit)}


class QualifyRequest(BaseModel):
    reason: str = Field("", max_length=2000)
    duration_s: float = Field(60, ge=1, le=3600, description="Seconds of load per GPU")


@router.post(
    "/nodes/{node}/qualify",
    status_code=202,
    summary="Ask the node's agent for a qualification under load (operator, admin)",
    description=NODE_DOC,
    **declared(schemas.QualifyAccepted, 202),
)
def post_qualify(
    node: str, db: SessionDep, who: PrincipalDep, body: QualifyRequest | None = None
) -> dict[str, Any]:
    """Accepted, not done: the agent picks the request up in the answer to its next report and runs it
    when its GPUs are idle. An open request for the node is reused (same id)."""
    asked = body or QualifyRequest(reason="", duration_s=60)
    return service.request_node_qualification(
        db, who, _node_id(db, who, node), asked.reason, asked.duration_s
    )


@router.get(
    "/nodes/{node}/qualifications",
    summary="A node's qualification requests and results",
    description=NODE_DOC,
    **declared(schemas.QualificationsRead),
)
def get_qualifications(
    node: str, db: SessionDep, who: PrincipalDep, limit: int = Query(20, ge=1, le=200)
) -> dict[str, Any]:
    return service.qualifications(db, who, _node_id(db, who, node), limit)


@router.get(
    "/nodes/{node}/requests",
    summary="What was asked of the node's agent (qualify, reset_gpu) and what it answered",
    description=NODE_DOC,
    **declared(schemas.AgentRequestsRead),
)
def get_agent_requests(
    node: str,
    db: SessionDep,
    who: PrincipalDep,
    kind: str | None = Query(None, description="qualify or reset_gpu"),
    limit: int = Query(20, ge=1, le=200),
) -> dict[str, Any]:
    return service.agent_requests(db, who, _node_id(db, who, node), kind, limit)
