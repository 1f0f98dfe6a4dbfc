"""Console `/customer-metrics`: a customer's fleet system health over time as charts, read from the
fleet's Prometheus through the tenant proxy with the customer's tenant matcher (`fsh_charts`).

A customer sees its own clusters; staff pick a customer (`?customer=`) and see exactly what that
customer sees, the queries confined to its tenant the same way. Suppliers and the other tenant roles
are refused (403 page), as the proxy refuses them. A page view is one query against a customer's rate
limit: its queries are fleetops' own and bounded, whatever the window.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.addons.service import scoped_clusters
from fleetops.api.deps import SessionDep
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.errors import FleetopsError, InvalidInput, NotFound
from fleetops.health.coverage import coverage
from fleetops.inventory.models import Customer
from fleetops.metrics_proxy import fsh_charts, proxy, tenants
from fleetops.metrics_proxy.promql import Tenant
from fleetops.web.views import ViewerDep, render

router = APIRouter(include_in_schema=False)


def _viewing(db: Session, who: Principal, customer: str | None) -> tuple[Principal, Tenant, list[str]]:
    """The customer whose series are shown (as a customer principal), its tenant, and, for staff, the
    customers to pick from."""
    asked = proxy.tenant_for(db, who)
    if asked is not None:
        return who, asked, []
    names = list(db.scalars(select(Customer.name).order_by(Customer.name)))
    if not names:
        raise NotFound("no customers yet: nothing to show")
    name = customer or names[0]
    found = db.scalar(select(Customer).where(Customer.name == name))
    if found is None:
        raise NotFound(f"customer {name}: no such customer")
    seen_as = Principal(Role.CUSTOMER, who.name, customer_id=found.id)
    return seen_as, tenants.tenant_of(db, seen_as), names


@router.get("/customer-metrics", response_class=HTMLResponse)
def customer_metrics(
    request: Request,
    db: SessionDep,
    who: ViewerDep,
    customer: str | None = None,
    window: str = fsh_charts.DEFAULT_WINDOW,
) -> Response:
    if who is None:
        return render(request, "customer_metrics.html", who)
    try:
        if window not in fsh_charts.WINDOWS_S:
            raise InvalidInput(f"window {window!r}: one of {', '.join(fsh_charts.WINDOWS_S)}")
        seen_as, tenant, customers = _viewing(db, who, customer)
    except FleetopsError as exc:
        return render(request, "error.html", who, status=exc.status, error=exc.message)
    shares = coverage(db, seen_as)
    span = fsh_charts.Span.last(fsh_charts.WINDOWS_S[window])
    charts, unavailable = [], None
    try:
        charts = fsh_charts.charts(tenant, span, shares.fleet.expected)
    except FleetopsError as exc:  # Prometheus unreachable: the page says so and shows the rest
        unavailable = exc.message
    return render(
        request,
        "customer_metrics.html",
        who,
        tenant=tenant,
        customers=customers,
        window=window,
        windows=fsh_charts.WINDOWS_S,
        clusters=[(c, shares.clusters.get(c.name)) for c in scoped_clusters(db, seen_as)],
        charts=charts,
        unavailable=unavailable,
    )
