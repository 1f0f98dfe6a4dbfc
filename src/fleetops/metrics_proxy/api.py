"""`/api/v1/prometheus`: the Prometheus query API for customers, confined to their own series, and the
Grafana files that point at it. A Grafana data source URL is `<fleetops>/api/v1/prometheus`.

Customers' queries are rewritten (`promql.enforce`) and rate limited per token; staff queries pass as
they are. Suppliers, agents and other tenant roles are refused: they have no series of their own here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.metrics_proxy import dashboards, proxy, tenants
from fleetops.metrics_proxy.schemas import QueryAnswer

router = APIRouter(prefix="/api/v1/prometheus", tags=["metrics"])
LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Over the customer's query budget: retry after a while (retryable)"}
}


def _answer(session: Session, principal: Principal, path: str, given: dict[str, str]) -> dict[str, Any]:
    return proxy.ask(path, given, proxy.tenant_for(session, principal))


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        params |= {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return params


def _add_query(path: str, summary: str) -> None:
    """The instant and range query endpoints differ only in the Prometheus path they forward to. GET and
    POST (Grafana's default for long queries) are two operations, each with an id of its own."""

    async def query(request: Request, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
        params = await _params(request)
        return await run_in_threadpool(_answer, session, principal, path, params)

    for method in ("GET", "POST"):
        router.add_api_route(
            path,
            query,
            methods=[method],
            responses=LIMITED,
            summary=summary,
            response_model=QueryAnswer,
            operation_id=f"prometheus_{path.rsplit('/', 1)[1]}_{method.lower()}",
        )


_add_query("/api/v1/query", "PromQL instant query (tenant-confined)")
_add_query("/api/v1/query_range", "PromQL range query (tenant-confined)")


@router.get(
    "/grafana",
    summary="The customer's Grafana dashboard and provisioning files: {path: text}",
    description="Editable in Grafana unless a cluster running advanced-metrics turns "
    "`dashboards.editable` off.",
)
def grafana(request: Request, session: SessionDep, principal: PrincipalDep) -> dict[str, str]:
    principal.require(Role.CUSTOMER)
    tenant, editable = tenants.dashboards_of(session, principal)
    return dashboards.provisioning(tenant, str(request.base_url), editable)
