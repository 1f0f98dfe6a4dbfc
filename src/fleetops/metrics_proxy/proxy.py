"""The tenant proxy itself: who a query runs for, and a query run as that tenant. The API
(`metrics_proxy.api`) and the console's metrics page (`metrics_proxy.views`) both ask through here, so
no reader of the fleet's series reaches a customer around the enforced tenant matcher.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.metrics_proxy import tenants, upstream
from fleetops.metrics_proxy.promql import TENANT_LABEL, Tenant, enforce

PARAMS = ("query", "time", "start", "end", "step", "timeout")  # all else is dropped, never forwarded
READERS = (Role.ADMIN, Role.OPERATOR, Role.VIEWER, Role.SECURITY, Role.CUSTOMER)


def _confine(body: dict[str, Any], customer: str) -> dict[str, Any]:
    """The last line: an answer series labelled with another tenant is dropped, whatever the query was."""
    data = body.get("data", {})
    if data.get("resultType") in ("vector", "matrix"):
        data["result"] = [
            s for s in data["result"] if s.get("metric", {}).get(TENANT_LABEL, customer) == customer
        ]
    return body


def tenant_for(session: Session, principal: Principal) -> Tenant | None:
    """The caller's tenant (a customer, charged one query of its rate limit), or None for staff, whose
    queries pass unchanged; any other role is refused (403)."""
    principal.require(*READERS)
    if principal.role is not Role.CUSTOMER:
        return None
    tenants.limit(principal)
    return tenants.tenant_of(session, principal)


def ask(path: str, given: dict[str, str], tenant: Tenant | None) -> dict[str, Any]:
    """`given` sent to Prometheus's `path` as `tenant` may ask it (rewritten, answer confined)."""
    params = {k: v for k, v in given.items() if k in PARAMS}
    if tenant is None:
        return upstream.current().get(path, params)
    params["query"] = enforce(params.get("query", ""), tenant)
    return _confine(upstream.current().get(path, params), tenant.customer)
