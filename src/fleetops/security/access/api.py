"""`/api/v1/security/access`: import the access files, the report against the baseline, access requests
and the quarterly review. Thin: parse, call one service function, return a schema. Staff only: a
customer or supplier token is refused (403), as for every fleet-wide report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from fastapi import APIRouter

from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.api.types import Id
from fleetops.security.access import requests, review, service
from fleetops.security.access.choices import RequestState
from fleetops.security.access.models import AccessReview, AccessReviewItem
from fleetops.security.access.schemas import (
    ImportCreate,
    ItemDecision,
    ItemRead,
    ReportRead,
    RequestCreate,
    RequestRead,
    ReviewCreate,
    ReviewRead,
    SnapshotRead,
    Why,
)
from fleetops.security.access.service import Files, Source

router = APIRouter(prefix="/api/v1/security/access", tags=["security: access review"])


@router.post("/imports", response_model=SnapshotRead, status_code=201, summary="Import the three files")
def import_files(body: ImportCreate, session: SessionDep, principal: PrincipalDep) -> SnapshotRead:
    files = Files(*(Source(f.name, f.text) for f in (body.tailnet, body.teleport_roles, body.users)))
    return SnapshotRead.model_validate(service.import_files(session, principal, files, body.policy))


@router.get("/report", response_model=ReportRead, summary="Who reaches production, flags, reduction")
def report(session: SessionDep, principal: PrincipalDep, snapshot_id: Id | None = None) -> ReportRead:
    return ReportRead.model_validate(service.report(session, principal, snapshot_id), from_attributes=True)


@router.post("/snapshots/{snapshot_id}/baseline", response_model=SnapshotRead, summary="Save as baseline")
def set_baseline(snapshot_id: Id, session: SessionDep, principal: PrincipalDep) -> SnapshotRead:
    return SnapshotRead.model_validate(service.set_baseline(session, principal, snapshot_id))


@router.get("/requests", response_model=list[RequestRead], summary="Access requests, newest first")
def list_requests(
    session: SessionDep, principal: PrincipalDep, state: RequestState | None = None
) -> list[RequestRead]:
    return [RequestRead.model_validate(r) for r in requests.listed(session, principal, state)]


@router.post("/requests", response_model=RequestRead, status_code=201, summary="Ask for time-bound access")
def create_request(body: RequestCreate, session: SessionDep, principal: PrincipalDep) -> RequestRead:
    row = requests.request(session, principal, body.user, body.system, body.access, body.reason, body.hours)
    return RequestRead.model_validate(row)


@router.post("/requests/{request_id}/{verb}", response_model=RequestRead, summary="grant, deny or revoke")
def act(
    request_id: Id,
    verb: Literal["grant", "deny", "revoke"],
    body: Why,
    session: SessionDep,
    principal: PrincipalDep,
) -> RequestRead:
    if verb == "revoke":
        return RequestRead.model_validate(requests.revoke(session, principal, request_id, body.why))
    row = requests.decide(session, principal, request_id, verb == "grant", body.why)
    return RequestRead.model_validate(row)


def _review(found: tuple[AccessReview, Sequence[AccessReviewItem]]) -> ReviewRead:
    row, items = found
    read = ReviewRead.model_validate(row)
    return read.model_copy(update={"items": [ItemRead.model_validate(i) for i in items]})


@router.post("/reviews", response_model=ReviewRead, status_code=201, summary="Open a quarter's review")
def open_review(body: ReviewCreate, session: SessionDep, principal: PrincipalDep) -> ReviewRead:
    review.open_review(session, principal, body.quarter)
    return _review(review.get(session, principal, body.quarter))


@router.get("/reviews/{quarter}", response_model=ReviewRead, summary="A quarter's checklist")
def get_review(quarter: str, session: SessionDep, principal: PrincipalDep) -> ReviewRead:
    return _review(review.get(session, principal, quarter))


@router.post("/reviews/{quarter}/items/{position}", response_model=ItemRead, summary="Decide one item")
def decide_item(
    quarter: str, position: Id, body: ItemDecision, session: SessionDep, principal: PrincipalDep
) -> ItemRead:
    item = review.decide_item(session, principal, quarter, position, body.decision, body.note)
    return ItemRead.model_validate(item)


@router.post("/reviews/{quarter}/sign-off", response_model=ReviewRead, summary="Sign the review off")
def sign_off(quarter: str, session: SessionDep, principal: PrincipalDep) -> ReviewRead:
    review.sign_off(session, principal, quarter)
    return _review(review.get(session, principal, quarter))
