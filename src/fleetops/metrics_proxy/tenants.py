"""Who a query runs for: the caller's tenant label and the clusters where it opted in to advanced
metrics (read from the add-on states), and how often its token may ask."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fleetops.addons.service import scoped_clusters
from fleetops.addons.states import read_states
from fleetops.auth.principal import Principal
from fleetops.config import settings
from fleetops.deploy.claim import RateLimiter
from fleetops.errors import FleetopsError, NotFound
from fleetops.inventory.models import Customer
from fleetops.metrics_proxy.promql import Tenant

ADVANCED = "advanced-metrics"


class RateLimited(FleetopsError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"


class _EveryToken(dict[str, float]):
    """One bucket size for every token the limiter meets."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def get(self, key: str, default: float | None = None) -> float:  # type: ignore[override]
        return self.rate


_limiter: RateLimiter | None = None


def limit(principal: Principal) -> None:
    """A token bucket per customer on the Clock (all its tokens share it); over it, a retryable 429."""
    global _limiter
    rate = settings().observability.query_rate_per_s
    if _limiter is None or _limiter.rates.get("") != rate:
        _limiter = RateLimiter(_EveryToken(rate))
    if not _limiter.allow(f"customer:{principal.customer_id}"):
        raise RateLimited(
            f"{principal.actor}: over {rate:g} queries per second; retry shortly", retryable=True
        )


def tenant_of(session: Session, principal: Principal) -> Tenant:
    customer = session.get(Customer, principal.customer_id) if principal.customer_id else None
    if customer is None:
        raise NotFound(f"{principal.actor}: no customer behind this token")
    clusters = scoped_clusters(session, principal)
    states = read_states(session, clusters)
    advanced = tuple(c.name for c in clusters if states[c.id][ADVANCED].enabled)
    return Tenant(customer.name, advanced)
