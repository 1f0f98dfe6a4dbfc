"""`/api/v1/addons`: the catalog, a cluster's add-ons, changing one, its rendered files, coverage.

Thin: parse, call one service function, return a schema. Customers read and change their own clusters'
add-ons (404 for anyone else's, decided in the query); coverage across the fleet is for staff.
"""

from __future__ import annotations

from fastapi import APIRouter

from fleetops.addons import manifests, service
from fleetops.addons.catalog import catalog
from fleetops.addons.schemas import AddonChangeBody, AddonRead, ChangeRead, CoverageRead, StateRead
from fleetops.api.deps import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/v1/addons", tags=["addons"])
CLUSTER_DOC = "`{cluster}`: the cluster's name or its numeric id."


@router.get(
    "", response_model=list[AddonRead], summary="The add-on catalog with each version's settings schema"
)
def list_catalog(principal: PrincipalDep) -> list[AddonRead]:
    return [AddonRead.of(a) for a in catalog().values()]


@router.get("/coverage", response_model=list[CoverageRead], summary="Active clusters running each add-on")
def get_coverage(session: SessionDep, principal: PrincipalDep) -> list[CoverageRead]:
    principal.require_staff()
    return [CoverageRead(**row) for row in service.coverage(session)]


@router.get(
    "/clusters/{cluster}",
    response_model=list[StateRead],
    summary="A cluster's add-ons",
    description=CLUSTER_DOC,
)
def get_cluster(cluster: str, session: SessionDep, principal: PrincipalDep) -> list[StateRead]:
    _, states = service.states_of(session, principal, cluster)
    return [StateRead.of(s) for s in states.values()]


@router.put(
    "/clusters/{cluster}/{addon}",
    response_model=ChangeRead,
    summary="Turn an add-on on or off, upgrade it, change its settings (422 names the JSON pointer)",
    description=CLUSTER_DOC,
)
def put_addon(
    cluster: str, addon: str, body: AddonChangeBody, session: SessionDep, principal: PrincipalDep
) -> ChangeRead:
    change = service.AddonChange(**body.model_dump())
    state, diff = service.change(session, principal, cluster, addon, change)
    return ChangeRead(state=StateRead.of(state), diff=diff)


@router.get(
    "/clusters/{cluster}/manifests",
    summary="The cluster's rendered static configuration: {path: file text}",
    description=CLUSTER_DOC,
)
def get_manifests(cluster: str, session: SessionDep, principal: PrincipalDep) -> dict[str, str]:
    return manifests.for_cluster(session, principal, cluster)
