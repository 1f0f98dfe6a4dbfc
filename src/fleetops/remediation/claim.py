"""Leasing due runs and writing a tick's results back, set-based and only while the lease is still ours.

PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, so many workers share the queue without waiting on each
other. SQLite: one atomic `UPDATE ... WHERE id IN (due runs whose lease is free or expired)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from fleetops.inventory.models import Cluster, Node, Supplier
from fleetops.remediation import fsm
from fleetops.remediation.models import RemediationRun, RemediationStep
from fleetops.remediation.work import WRITTEN, Work

R = cast(Table, RemediationRun.__table__)


@dataclass(frozen=True)
class Limits:
    batch: int = 1000
    threads: int = 16
    lease_s: float = 300
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
    """Lease up to `limits.batch` due runs (SKIP LOCKED on PostgreSQL; one atomic UPDATE on SQLite)."""
    expires = now + timedelta(seconds=limits.lease_s)
    if session.get_bind().dialect.name == "postgresql":
        ids = session.scalars(_due(now, limits.batch).with_for_update(skip_locked=True)).all()
        if not ids:
            return []
        session.execute(update(R).where(R.c.id.in_(ids)).values(lease_owner=owner, lease_expires_at=expires))
    else:
        result = cast(
            CursorResult[Any],
            session.execute(
                update(R)
                .where(R.c.id.in_(_due(now, limits.batch).scalar_subquery()))
                .values(lease_owner=owner, lease_expires_at=expires)
            ),
        )
        if not result.rowcount:
            return []
    rows = session.execute(
        select(
            R,
            Node.bmc_address,
            Cluster.orchestrator,
            Cluster.name.label("cluster"),
            Supplier.name.label("supplier"),
        )
        .join(Node, Node.id == R.c.node_id)
        .outerjoin(Cluster, Cluster.id == R.c.cluster_id)
        .outerjoin(Supplier, Supplier.id == R.c.supplier_id)
        .where(R.c.lease_owner == owner)
        .order_by(R.c.id)
    )
    return [dict(row._mapping) for row in rows]


def write(session: Session, works: list[Work], owner: str, keep: Any) -> list[Work]:
    """Write a phase's results, only for runs this worker still leases (a person may have cancelled one);
    returns the works written."""
    ids = [w.run_id for w in works]
    session.execute(update(R).where(R.c.id.in_(ids), R.c.lease_owner == owner).values(lease_owner=owner))
    still = set(session.scalars(select(R.c.id).where(R.c.id.in_(ids), R.c.lease_owner == owner)))
    works = [w for w in works if w.run_id in still]
    if not works:
        return works
    statement = (
        update(R)
        .where(R.c.id == bindparam("r_id"), R.c.lease_owner == bindparam("r_owner"))
        .values({key: bindparam(key) for key in (*WRITTEN, "updated_at", "lease_owner", "lease_expires_at")})
    )
    session.connection().execute(statement, [w.row_update(owner, keep(w)) for w in works])
    transitions = [t.row() for w in works for t in w.transitions]
    if transitions:
        session.execute(insert(RemediationStep), transitions)
    for work in works:
        work.transitions.clear()
    return works
