"""Who a query runs for: the caller's tenant label and the clusters where it opted in to advanced
metrics (read from the add-on states), how often its token may ask, and whether its generated Grafana
dashboards may be edited (the add-on's `dashboards.editable`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fleetops.addons.catalog import addon
from fleetops.addons.service import scoped_clusters
from fleetops.addons.states import State, read_states
from fleetops.auth.principal import Principal
from fleetops.config import settings
from fleetops.deploy.claim import RateLimiter
from fleetops.errors import FleetopsError, NotFound
from fleetops.inventory.models import Customer
from fleetops.metrics_proxy.promql import Tenant

ADVANCED = "advanced-metrics"
# Where a version keeps the dashboards' switch: 1.1.0 and later, then 1.0.0 (moved by the upgrade).
EDITABLE = ("/dashboards/editable", "/grafana_editable")


class RateLimited(FleetopsError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"


_limiter: RateLimiter | None = None


def limit(principal: Principal) -> None:
    """A token bucket per customer on the Clock (all its tokens share it); over it, a retryable 429."""
    global _limiter
    rate = settings().observability.query_rate_per_s
    if _limiter is None or _limiter.default != rate:
        _limiter = RateLimiter({}, default=rate)
    if not _limiter.allow(f"customer:{principal.customer_id}"):
        raise RateLimited(
            f"{principal.actor}: over {rate:g} queries per second; retry shortly", retryable=True
        )


def _advanced(session: Session, principal: Principal) -> tuple[Customer, list[tuple[str, State]]]:
    """The caller's customer and its clusters' advanced-metrics states, by cluster name."""
    customer = session.get(Customer, principal.customer_id) if principal.customer_id else None
    if customer is None:
        raise NotFound(f"{principal.actor}: no customer behind this token")
    clusters = scoped_clusters(session, principal)
    states = read_states(session, clusters)
    return customer, [(c.name, states[c.id][ADVANCED]) for c in clusters]


def _tenant(customer: Customer, states: list[tuple[str, State]]) -> Tenant:
    return Tenant(customer.name, tuple(name for name, state in states if state.enabled))


def tenant_of(session: Session, principal: Principal) -> Tenant:
    return _tenant(*_advanced(session, principal))


def _editable(version: str, settings: dict[str, object]) -> bool:
    spec = addon(ADVANCED).version(version)
    found = (spec.setting(settings, where) for where in EDITABLE)
    return bool(next((value for value in found if value is not None), True))


def dashboards_of(session: Session, principal: Principal) -> tuple[Tenant, bool]:
    """The tenant and whether its one dashboard may be edited, from one read of the add-on states:
    editable unless a cluster running advanced-metrics turned `dashboards.editable` off; with none
    running it, the latest version's default."""
    customer, states = _advanced(session, principal)
    running = [state for _, state in states if state.enabled]
    if running:
        editable = all(_editable(state.version, state.settings) for state in running)
    else:
        editable = _editable(addon(ADVANCED).latest.number, {})
    return _tenant(customer, states), editable
