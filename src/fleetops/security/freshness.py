"""Scan freshness: a node in service with no accepted scan for `stale_after_h` (24 h) is itself a finding.

The finding (scanner `fleetops`, check `scan-stale`, High) opens on the sweep that sees the node stale
and is fixed by the node's next accepted import, so an unscanned node counts against the SLA like any
other finding instead of looking clean.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.config import settings
from fleetops.db import bulk
from fleetops.db.session import Database
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Node
from fleetops.security import sla
from fleetops.security.choices import AssetKind, FindingStatus, ImportOutcome, Scanner, Severity
from fleetops.security.models import SecurityFinding as F
from fleetops.security.models import SecurityImport
from fleetops.security.parsed import Item
from fleetops.security.reconcile import KEY, TABLE, Asset, finding_row

STALE = "scan-stale"
IN_SERVICE = (NodeState.READY, NodeState.CORDONED, NodeState.DRAINING)
_MINE = (F.scanner == Scanner.FRESHNESS, F.check_id == STALE)


def last_scans() -> Any:
    """Each node's latest accepted import time: the one definition of 'scanned' the dashboard reads too."""
    return (
        select(SecurityImport.node_id, func.max(SecurityImport.received_at).label("scanned_at"))
        .where(SecurityImport.outcome == ImportOutcome.ACCEPTED, SecurityImport.node_id.is_not(None))
        .group_by(SecurityImport.node_id)
        .subquery()
    )


def scanned(session: Session, node_ids: list[int]) -> None:
    """An accepted import for these nodes ends their staleness at once."""
    for chunk in bulk.chunks(node_ids):
        session.execute(
            update(F)
            .where(*_MINE, F.node_id.in_(chunk), F.status != FindingStatus.FIXED)
            .values(status=FindingStatus.FIXED, fixed_at=clock.now())
        )


def sweep(session: Session, limit: int | None = None) -> int:
    """Open (or reopen) the staleness finding of every stale node in service (at most `limit` of them);
    returns how many changed."""
    now = clock.now()
    scans = last_scans()
    cutoff = now - timedelta(hours=settings().security.stale_after_h)
    stale = dict(
        session.execute(
            select(Node.id, Node.hostname)
            .outerjoin(scans, scans.c.node_id == Node.id)
            .where(Node.state.in_(IN_SERVICE))
            .where((scans.c.scanned_at.is_(None)) | (scans.c.scanned_at < cutoff))
        ).all()
    )
    had = dict(session.execute(select(F.node_id, F.status).where(*_MINE)).all())
    due = sla.due(now, Severity.HIGH)
    back = [node_id for node_id in stale if had.get(node_id) == FindingStatus.FIXED][:limit]
    fresh = [node_id for node_id in stale if node_id not in had]
    fresh = fresh if limit is None else fresh[: max(0, limit - len(back))]
    for chunk in bulk.chunks(back):
        values = {"status": FindingStatus.OPEN, "opened_at": now, "due_at": due, "fixed_at": None}
        session.execute(
            update(F).where(*_MINE, F.node_id.in_(chunk)).values(**values, reopened=F.reopened + 1)
        )
    item = Item(STALE, f"no accepted security scan in {settings().security.stale_after_h:g} h", Severity.HIGH)
    new = [
        finding_row(Asset(AssetKind.NODE, stale[node_id], node_id), Scanner.FRESHNESS, item, now, None)
        for node_id in fresh
    ]
    bulk.insert(session.connection(), TABLE, new, keys=KEY)
    return len(back) + len(new)


# Findings opened per transaction: a fleet never scanned (100,000 nodes freshly imported) must not hold
# SQLite's write lock for seconds while agents report (bench/bench_silence.py).
BATCH = 1_000


def tick(database: Database) -> int:
    changed = 0
    while True:
        with database.transaction() as session:
            done = sweep(session, limit=BATCH)
        changed += done
        if done < BATCH:
            return changed
        database.give_way()
