"""Deployment endpoints: plan, start, status, pause, resume, abort, the human queue, decommission.

No `from __future__ import annotations` here: FastAPI must see each body type itself.
"""

from fastapi import APIRouter, status

from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.deploy import decommission, service
from fleetops.deploy.plan import PlanRequest
from fleetops.deploy.schemas import (
    DecommissionCreate,
    DecommissionRead,
    HumanQueueItem,
    PlanCreate,
    Reason,
    RolloutRead,
    RolloutSummary,
)

router = APIRouter(prefix="/api/v1/deployments", tags=["deployments"])


def _reader(principal: Principal) -> None:
    """Rollouts span customers and suppliers: staff roles only."""
    principal.require(Role.ADMIN, Role.OPERATOR, Role.VIEWER)


@router.post("/plan", status_code=status.HTTP_201_CREATED, response_model=RolloutRead)
def plan(body: PlanCreate, session: SessionDep, principal: PrincipalDep) -> dict:
    """Plan a rollout; refused (422/404/409) before anything starts when the plan is wrong."""
    request = PlanRequest(body.name, body.cluster, body.image, body.profile, body.hostnames, body.pod)
    rollout = service.plan(session, principal, request)
    return service.status(session, rollout.name)


@router.get("", response_model=list[RolloutSummary])
def list_rollouts(session: SessionDep, principal: PrincipalDep) -> list[dict]:
    _reader(principal)
    return service.list_rollouts(session)


@router.get("/needs-human", response_model=list[HumanQueueItem])
def needs_human(session: SessionDep, principal: PrincipalDep, rollout: str | None = None) -> list[dict]:
    """Nodes the engine gave up on after automated recovery, with the reason and evidence."""
    _reader(principal)
    return service.needs_human(session, rollout)


@router.post("/nodes/{hostname}/retry", response_model=list[HumanQueueItem])
def retry_node(hostname: str, body: Reason, session: SessionDep, principal: PrincipalDep) -> list[dict]:
    service.retry_node(session, principal, hostname, body.why or "fixed by a human")
    return service.needs_human(session)


@router.post("/decommission", status_code=status.HTTP_201_CREATED, response_model=DecommissionRead)
def decommission_cluster(body: DecommissionCreate, session: SessionDep, principal: PrincipalDep) -> dict:
    """Drain, wipe, release the nodes and mark the cluster decommissioned; 24 h deadline tracked. Asked
    again while it waits (nothing configured to drain or wipe with, a scheduler down), it resumes."""
    decommission.request(session, principal, body.cluster, body.why)
    session.flush()
    decommission.run(session, principal, body.cluster, decommission.hooks())
    return decommission.read(session, body.cluster)


@router.get("/decommission/{cluster}", response_model=DecommissionRead)
def read_decommission(cluster: str, session: SessionDep, principal: PrincipalDep) -> dict:
    _reader(principal)
    return decommission.read(session, cluster)


@router.get("/{name}", response_model=RolloutRead)
def read_rollout(name: str, session: SessionDep, principal: PrincipalDep) -> dict:
    """Progress: per-state counts, ETA, GPUs/hour, shares needing a human and recovered automatically."""
    _reader(principal)
    return service.status(session, name)


def _action(verb: str) -> None:
    def act(name: str, session: SessionDep, principal: PrincipalDep, body: Reason | None = None) -> dict:
        why = body.why if body and body.why else f"{verb} via API"
        if verb == "start":
            service.start(session, principal, name)
        elif verb == "resume":
            service.resume(session, principal, name)
        else:
            getattr(service, verb)(session, principal, name, why)
        return service.status(session, name)

    act.__name__ = verb
    act.__doc__ = f"{verb.capitalize()} the rollout."
    router.add_api_route(f"/{{name}}/{verb}", act, methods=["POST"], response_model=RolloutRead, name=verb)


for _verb in ("start", "pause", "resume", "abort"):
    _action(_verb)
