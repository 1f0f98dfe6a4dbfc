"""Writing and querying the audit log; every write happens inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.models import AuditEvent
from fleetops.db import bulk

AUDIT: Any = AuditEvent.__table__


@dataclass(frozen=True)
class Change:
    action: str
    target_type: str
    target_key: str
    changes: dict[str, Any]
    result: str = "success"


def record(session: Session, actor: str, change: Change) -> None:
    record_many(session, actor, [change])


AUDIT_COLUMNS = ("action", "target_type", "target_key", "result", "changes")


def record_many(session: Session, actor: str, changes: Iterable[Change]) -> int:
    """One set-based insert of tuples, time and actor given once: a 100,000-node import writes a row per
    node (the node page and the supplier uptime replay read them) without a parameter dict per row.
    A bulk change may instead write one entry per batch (`inventory.import`: the file, its digest, the
    counts and the keys changed), which is how a GPU's creation by an import is found."""
    rows = [(c.action, c.target_type, c.target_key, c.result, c.changes) for c in changes]
    bulk.insert_rows(session.connection(), AUDIT, AUDIT_COLUMNS, rows, {"at": clock.now(), "actor": actor})
    return len(rows)


@dataclass(frozen=True, kw_only=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_id: int | None = None
    before_id: int | None = None
    newest_first: bool = False  # the console's page: the latest first, paged back with `before_id`
    limit: int = 100


def query(session: Session, q: AuditQuery) -> Sequence[AuditEvent]:
    order = AuditEvent.id.desc() if q.newest_first else AuditEvent.id
    stmt = select(AuditEvent).order_by(order).limit(q.limit)
    for column, value in (
        (AuditEvent.actor, q.actor),
        (AuditEvent.action, q.action),
        (AuditEvent.target_type, q.target_type),
        (AuditEvent.target_key, q.target_key),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if q.since is not None:
        stmt = stmt.where(AuditEvent.at >= q.since)
    if q.until is not None:
        stmt = stmt.where(AuditEvent.at < q.until)
    if q.after_id is not None:
        stmt = stmt.where(AuditEvent.id > q.after_id)
    if q.before_id is not None:
        stmt = stmt.where(AuditEvent.id < q.before_id)
    return session.scalars(stmt).all()


def purge(session: Session, retention_days: int) -> int:
    """Delete events older than the retention; refuses less than the 90 days GPU cloud ratings expect."""
    if retention_days < 90:
        raise ValueError("audit retention must be at least 90 days")
    cutoff = clock.now() - timedelta(days=retention_days)
    result: Any = session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff))
    return int(result.rowcount or 0)


def as_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "target_type": event.target_type,
        "target_key": event.target_key,
        "result": event.result,
        "changes": event.changes,
    }
