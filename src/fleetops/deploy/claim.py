"""Which bring-up rows are due, claimed on the shared leased-work mechanism (`fleetops.workers.leases`:
a dead worker's rows go on within a minute), and the admission limits that keep a sub-pod polite.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, or_, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.deploy import fsm
from fleetops.deploy.bringup import WRITTEN
from fleetops.deploy.choices import BringupState, RolloutState
from fleetops.deploy.models import BringupTransition, NodeBringup, Rollout
from fleetops.inventory.models import Cluster, Node
from fleetops.workers.leases import LEASE_S, Queue

B = cast(Table, NodeBringup.__table__)
QUEUE = Queue(B, cast(Table, BringupTransition.__table__), WRITTEN)


@dataclass
class Limits:
    """Parallelism with limits; 0 disables a limit. Rates are operations per Clock second per backend."""

    batch: int = 1000
    threads: int = 32
    lease_s: float = LEASE_S
    rack_power_on_burst: int = 8
    rack_power_on_interval_s: float = 60
    site_provisioning_cap: int = 250
    backend_rate_per_s: dict[str, float] = field(default_factory=dict)
    defer_s: float = 30
    min_poll_s: float = 5


def _due(now: datetime, batch: int) -> Any:
    return (
        select(NodeBringup.id)
        .join(Rollout, Rollout.id == NodeBringup.rollout_id)
        .where(
            Rollout.state == RolloutState.RUNNING,
            NodeBringup.state.in_([s.value for s in fsm.ACTIVE]),
            NodeBringup.due_at <= now,
            or_(NodeBringup.lease_expires_at.is_(None), NodeBringup.lease_expires_at < now),
        )
        .order_by(NodeBringup.due_at, NodeBringup.id)
        .limit(batch)
    )


def claim(session: Session, owner: str, limits: Limits) -> list[dict[str, Any]]:
    """Lease up to `limits.batch` due rows to `owner`; return them with what the backends need."""
    if not QUEUE.claim(session, _due(clock.now(), limits.batch), owner, limits.lease_s):
        return []
    return owned(session, owner)


def owned(session: Session, owner: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(
            B,
            Node.bmc_address,
            Node.gpu_model,
            Rollout.image,
            Rollout.profile,
            Rollout.name.label("rollout"),
            Cluster.name.label("cluster"),
            Cluster.orchestrator,
        )
        .join(Node, Node.id == B.c.node_id)
        .join(Rollout, Rollout.id == B.c.rollout_id)
        .join(Cluster, Cluster.id == Rollout.cluster_id)
        .where(B.c.lease_owner == owner)
        .order_by(B.c.id)
    )
    return [dict(row._mapping) for row in rows]


def power_on_budget(session: Session, rows: Sequence[dict[str, Any]], limits: Limits) -> Counter[int]:
    """How many more nodes each rack may power on now: inrush is staggered per rack."""
    racks = {r["rack_id"] for r in rows if r["state"] == BringupState.ENROLLED}
    if not racks or limits.rack_power_on_burst <= 0:
        return Counter({rack: len(rows) for rack in racks})
    since = clock.now() - timedelta(seconds=limits.rack_power_on_interval_s)
    recent = session.execute(
        select(B.c.rack_id, func.count())
        .where(B.c.rack_id.in_(racks), B.c.power_on_at > since)
        .group_by(B.c.rack_id)
    )
    used: dict[int, int] = dict(recent.all())
    return Counter({rack: max(0, limits.rack_power_on_burst - used.get(rack, 0)) for rack in racks})


def provisioning_budget(session: Session, rows: Iterable[dict[str, Any]], limits: Limits) -> Counter[int]:
    """How many more nodes each site may start imaging: the provisioning network and servers are finite."""
    starting = [r for r in rows if r["state"] == BringupState.PROVISIONING and r["step_calls"] == 0]
    sites = {r["site_id"] for r in starting}
    if not sites or limits.site_provisioning_cap <= 0:
        return Counter({site: len(starting) for site in sites})
    busy = session.execute(
        select(B.c.site_id, func.count())
        .where(B.c.site_id.in_(sites), B.c.state == BringupState.PROVISIONING.value, B.c.step_calls > 0)
        .group_by(B.c.site_id)
    )
    used: dict[int, int] = dict(busy.all())
    return Counter({site: max(0, limits.site_provisioning_cap - used.get(site, 0)) for site in sites})


class RateLimiter:
    """A token bucket per backend on the Clock, so an accelerated run is limited like a real one; a key
    not in `rates` gets `default` (0: unlimited)."""

    def __init__(self, rates: dict[str, float], default: float = 0.0) -> None:
        self.rates = rates
        self.default = default
        self._tokens: dict[str, float] = {}
        self._at: dict[str, float] = {}

    def allow(self, backend: str) -> bool:
        rate = self.rates.get(backend, self.default)
        if not rate:
            return True
        now = clock.get().monotonic()
        tokens = self._tokens.get(backend, rate)
        tokens = min(rate, tokens + (now - self._at.get(backend, now)) * rate)
        self._at[backend] = now
        if tokens < 1:
            self._tokens[backend] = tokens
            return False
        self._tokens[backend] = tokens - 1
        return True
