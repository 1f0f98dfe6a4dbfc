"""`/api/v1/clustermax`: each visible cluster's ClusterMAX readiness checklist, computed from the records."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.clustermax.readiness import readiness
from fleetops.clustermax.schemas import ReadinessRead

router = APIRouter(prefix="/api/v1/clustermax", tags=["clustermax"])


@router.get("", summary="Readiness of every cluster the caller may see", response_model=list[ReadinessRead])
def list_readiness(session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return [r.as_dict() for r in readiness(session, principal)]


@router.get(
    "/{cluster}",
    summary="One cluster's readiness checklist, item by item with its evidence",
    response_model=ReadinessRead,
)
def get_readiness(cluster: str, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return readiness(session, principal, cluster)[0].as_dict()
