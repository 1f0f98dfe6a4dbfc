"""`/api/v1/security/updates`: plan an emergency update over a cluster, start, pause, resume, and read
it with its per-node counts and timeline. Thin; the engine does the rest."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.security.updates import service
from fleetops.security.updates.choices import RunState
from fleetops.security.updates.schemas import UpdateRead

router = APIRouter(prefix="/api/v1/security/updates", tags=["security: emergency updates"])
VERBS = {"start": RunState.RUNNING, "resume": RunState.RUNNING, "pause": RunState.PAUSED}


class UpdateCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    cluster: str
    bulletin: str = Field(min_length=3, max_length=200, description="The CVE or advisory it answers.")
    max_drained_pct: float = Field(default=10.0, gt=0, le=50, description="The blast-radius cap.")


class Why(BaseModel):
    why: str = Field(default="", max_length=500)


@router.post(
    "",
    status_code=201,
    summary="Plan an emergency update over a cluster's nodes in service",
    response_model=UpdateRead,
    response_model_exclude_unset=True,
)
def plan(body: UpdateCreate, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    run = service.plan(session, principal, body.name, body.cluster, body.bulletin, body.max_drained_pct)
    return service.summary(session, run)


@router.get(
    "/{name}",
    summary="An emergency update: state, nodes per step, timeline",
    response_model=UpdateRead,
    response_model_exclude_unset=True,
)
def show(name: str, session: SessionDep, principal: PrincipalDep, timeline: bool = False) -> dict[str, Any]:
    run = service.get(session, principal, name)
    found = service.summary(session, run)
    if timeline:
        found["timeline"] = [
            {
                "at": s.at,
                "hostname": s.hostname,
                "from": s.from_state.value,
                "to": s.to_state.value,
                "why": s.reason,
            }
            for s in service.timeline(session, run)
        ]
    return found


@router.post(
    "/{name}/{verb}",
    summary="start, pause or resume",
    response_model=UpdateRead,
    response_model_exclude_unset=True,
)
def act(
    name: str,
    verb: Literal["start", "pause", "resume"],
    body: Why,
    session: SessionDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    return service.summary(session, service.move(session, principal, name, VERBS[verb], body.why))
