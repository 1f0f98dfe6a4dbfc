"""Scan freshness: a node in service with no accepted scan for `stale_after_h` (24 h) is itself a finding.

The finding (scanner `fleetops`, check `scan-stale`, High) opens on the sweep that sees the node stale
and is fixed by the node's next accepted import, so an unscanned node counts against the SLA like any
other finding instead of looking clean.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
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


def _todo(session: Session, now: datetime, among: list[int] | None) -> list[Any]:
    """(node id, hostname, its staleness finding's status or None) of each stale node in service whose
    finding is missing or fixed (of `among`, when given): the sweep's work, read in one query."""
    scans = last_scans()
    cutoff = now - timedelta(hours=settings().security.stale_after_h)
    query = (
        select(Node.id, Node.hostname, F.status)
        .outerjoin(scans, scans.c.node_id == Node.id)
        .outerjoin(F, and_(F.node_id == Node.id, *_MINE))
        .where(Node.state.in_(IN_SERVICE))
        .where((scans.c.scanned_at.is_(None)) | (scans.c.scanned_at < cutoff))
        .where(F.status.is_(None) | (F.status == FindingStatus.FIXED))
    )
    return session.execute(query if among is None else query.where(Node.id.in_(among))).all()


def sweep(session: Session, among: list[int] | None = None) -> int:
    """Open (or reopen) the staleness finding of every stale node in service (of `among`, when given);
    returns how many changed."""
    now = clock.now()
    todo = _todo(session, now, among)
    back = [node_id for node_id, _, status in todo if status is not None]
    due = sla.due(now, Severity.HIGH)
    for chunk in bulk.chunks(back):
        values = {"status": FindingStatus.OPEN, "opened_at": now, "due_at": due, "fixed_at": None}
        session.execute(
            update(F).where(*_MINE, F.node_id.in_(chunk)).values(**values, reopened=F.reopened + 1)
        )
    item = Item(STALE, f"no accepted security scan in {settings().security.stale_after_h:g} h", Severity.HIGH)
    new = [
        finding_row(Asset(AssetKind.NODE, hostname, node_id), Scanner.FRESHNESS, item, now, None)
        for node_id, hostname, status in todo
        if status is None
    ]
    bulk.insert(session.connection(), TABLE, new, keys=KEY)
    return len(back) + len(new)


# Findings opened per transaction: a fleet never scanned (100,000 nodes freshly imported) must not hold
# SQLite's write lock for seconds while agents report (bench/bench_silence.py).
BATCH = 1_000


def tick(database: Database) -> int:
    """Find the nodes to change once, in a read (no lock held on SQLite), then sweep them a batch a
    transaction, each batch judged again as it is written: an import that lands meanwhile is seen.

    Reading the whole fleet again for each batch cost a 100,000-node fleet never scanned 56 transactions
    of 1-3.8 s each (bench/bench_silence.py, FLEETOPS_SLOW_TRANSACTION_MS); reading every node and every
    finding into Python to find nothing to do was a fifth of a 10,000-node soak."""
    with database.transaction() as session:
        todo = [node_id for node_id, _, _ in _todo(session, clock.now(), None)]
    changed = 0
    for start in range(0, len(todo), BATCH):
        if start:
            database.give_way()
        with database.transaction() as session:
            changed += sweep(session, among=todo[start : start + BATCH])
    return changed
