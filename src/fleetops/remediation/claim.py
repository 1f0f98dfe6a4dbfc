"""Which runs are due, and the remediation queue on the shared leased-work mechanism
(`fleetops.workers.leases`: claim with a lease, renew while executors run, write back while still held).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.orm import Session

from fleetops.inventory.models import Cluster, Customer, Node, Supplier
from fleetops.remediation import fsm
from fleetops.remediation.models import RemediationRun, RemediationStep
from fleetops.remediation.work import WRITTEN
from fleetops.workers.leases import LEASE_S, Queue

R = cast(Table, RemediationRun.__table__)
QUEUE = Queue(R, cast(Table, RemediationStep.__table__), WRITTEN)


@dataclass(frozen=True)
class Limits:
    batch: int = 1000
    threads: int = 16
    lease_s: float = LEASE_S
    max_attempts: int = 3
    backoff_s: float = 30
    backoff_max_s: float = 900


def _due(now: Any, batch: int) -> Any:
    """Runs the engine works on, and handed-over runs with a supplier ticket to read back."""
    handed_over = and_(R.c.state == fsm.S.ESCALATED.value, R.c.ticket.is_not(None))
    return (
        select(R.c.id)
        .where(
            or_(R.c.state.in_([s.value for s in fsm.ACTIVE]), handed_over),
            R.c.due_at <= now,
            or_(R.c.lease_expires_at.is_(None), R.c.lease_expires_at < now),
        )
        .order_by(R.c.due_at, R.c.id)
        .limit(batch)
    )


def claim(session: Session, owner: str, now: Any, limits: Limits) -> list[dict[str, Any]]:
    """Lease up to `limits.batch` due runs to `owner`; return them with what the executors need."""
    if not QUEUE.claim(session, _due(now, limits.batch), owner, limits.lease_s):
        return []
    rows = session.execute(
        select(
            R,
            Node.bmc_address,
            Cluster.orchestrator,
            Cluster.name.label("cluster"),
            Supplier.name.label("supplier"),
            Customer.name.label("customer"),
        )
        .join(Node, Node.id == R.c.node_id)
        .outerjoin(Cluster, Cluster.id == R.c.cluster_id)
        .outerjoin(Supplier, Supplier.id == R.c.supplier_id)
        .outerjoin(Customer, Customer.id == Cluster.customer_id)
        .where(R.c.lease_owner == owner)
        .order_by(R.c.id)
    )
    return [dict(row._mapping) for row in rows]
