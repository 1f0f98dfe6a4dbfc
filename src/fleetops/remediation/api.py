"""`/api/v1/remediation`: runs (list, get, cancel, approve), breakers, switches, per-cluster settings.

Thin: parse, call one service function, return a schema. Customers see their own clusters' runs and may
change their own clusters' settings (404 for anyone else's, decided in the query); cancel, approve,
breaker reset and switches are for admins and operators.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from fleetops.api.bodies import declared
from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.api.types import Days, Id
from fleetops.auth.principal import Principal
from fleetops.inventory.kinds import KINDS
from fleetops.inventory.service import find
from fleetops.remediation import measures, service
from fleetops.remediation.schemas import (
    BreakerRead,
    MeasuresRead,
    RunDetail,
    RunRead,
    SettingsRead,
    SettingsUpdate,
    StepRead,
    SwitchRead,
    SwitchUpdate,
)

router = APIRouter(prefix="/api/v1/remediation", tags=["remediation"])


@router.get("/runs", response_model=list[RunRead], summary="Remediation runs, newest first")
def list_runs(
    session: SessionDep,
    principal: PrincipalDep,
    state: str | None = None,
    cluster_id: Id | None = None,
    hostname: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[RunRead]:
    if hostname is not None:
        find(session, principal, KINDS["node"], hostname)  # a typo is a 404 naming it, not an empty list
    runs = service.list_runs(
        session, principal, state=state, cluster_id=cluster_id, hostname=hostname, limit=limit
    )
    return [RunRead.model_validate(r) for r in runs]


@router.get("/runs/{run_id}", response_model=RunDetail, summary="One run with every step it took")
def get_run(run_id: Id, session: SessionDep, principal: PrincipalDep) -> RunDetail:
    run = service.get_run(session, principal, run_id)
    steps = [StepRead.model_validate(s) for s in service.steps(session, run.id)]
    return RunDetail.model_validate(run).model_copy(update={"steps": steps})


@router.post("/runs/{run_id}/cancel", response_model=RunRead, summary="Stop a run (the node stays as it is)")
def cancel_run(run_id: Id, session: SessionDep, principal: PrincipalDep, reason: str = "") -> RunRead:
    return RunRead.model_validate(service.cancel(session, principal, run_id, reason))


@router.post("/runs/{run_id}/approve", response_model=RunRead, summary="Approve the run's next action")
def approve_run(run_id: Id, session: SessionDep, principal: PrincipalDep) -> RunRead:
    return RunRead.model_validate(service.approve(session, principal, run_id))


@router.post("/runs/{run_id}/repaired", response_model=RunRead, summary="The supplier's repair is done")
def repaired(run_id: Id, session: SessionDep, principal: PrincipalDep, note: str = "") -> RunRead:
    return RunRead.model_validate(service.mark_repaired(session, principal, run_id, note))


@router.get(
    "/breakers", response_model=list[BreakerRead], summary="Circuit breakers per cluster and supplier"
)
def list_breakers(session: SessionDep, principal: PrincipalDep) -> list[BreakerRead]:
    principal.require_staff()
    return [BreakerRead.model_validate(b) for b in service.breakers(session)]


@router.post("/breakers/{scope}/{subject_id}/reset", response_model=BreakerRead, summary="Close a breaker")
def reset_breaker(scope: str, subject_id: Id, session: SessionDep, principal: PrincipalDep) -> BreakerRead:
    return BreakerRead.model_validate(service.reset_breaker(session, principal, scope, subject_id))


@router.get("/switches", response_model=list[SwitchRead], summary="Kill switch and dry-run mode")
def list_switches(session: SessionDep, principal: PrincipalDep) -> list[SwitchRead]:
    principal.require_staff()
    return service.switches(session)


@router.put("/switches/{name}", response_model=SwitchRead, summary="Turn the kill switch or dry-run on/off")
def set_switch(name: str, body: SwitchUpdate, session: SessionDep, principal: PrincipalDep) -> SwitchRead:
    return service.set_switch(session, principal, name, body.on, body.reason)


CLUSTER_DOC = "`{cluster}`: the cluster's name or its numeric id (the name is tried first)."


def _cluster_id(session: Session, principal: Principal, cluster: str) -> int:
    return int(find(session, principal, KINDS["cluster"], cluster)["id"])


@router.get(
    "/clusters/{cluster}/settings",
    response_model=SettingsRead,
    summary="A cluster's settings",
    description=CLUSTER_DOC,
)
def get_settings(cluster: str, session: SessionDep, principal: PrincipalDep) -> SettingsRead:
    return service.get_settings(session, principal, _cluster_id(session, principal, cluster))


@router.put(
    "/clusters/{cluster}/settings",
    response_model=SettingsRead,
    summary="Change a cluster's settings",
    description=CLUSTER_DOC,
)
def put_settings(
    cluster: str, body: SettingsUpdate, session: SessionDep, principal: PrincipalDep
) -> SettingsRead:
    return service.update_settings(session, principal, _cluster_id(session, principal, cluster), body)


@router.get(
    "/measures",
    summary="MTTR, automation share, actions and escalations (fleet, staff only)",
    **declared(MeasuresRead),
)
def get_measures(session: SessionDep, principal: PrincipalDep, days: Days = 30) -> dict[str, object]:
    principal.require_staff()
    return measures.summary(session, days)
