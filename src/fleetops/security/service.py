"""Security use-cases over stored findings: list and filter, accept a risk, the imports log, freshness.

The dashboard's measures live in `measures.py`; importing in `imports.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.auth.principal import Principal
from fleetops.config import settings
from fleetops.errors import InvalidInput, NotFound
from fleetops.inventory.models import Cluster, Node
from fleetops.security import sla
from fleetops.security.choices import FindingStatus
from fleetops.security.freshness import IN_SERVICE, last_scans
from fleetops.security.models import SecurityFinding as F
from fleetops.security.models import SecurityImport
from fleetops.security.scope import visible_to

MAX_ACCEPT_DAYS = 365


@dataclass(frozen=True)
class FindingQuery:
    open: bool | None = None
    overdue: bool = False
    severity: str | None = None
    scanner: str | None = None
    node: str | None = None
    cluster: str | None = None
    check: str | None = None
    limit: int = 100
    cursor: int | None = None  # the last id of the previous page


def list_findings(session: Session, who: Principal, q: FindingQuery) -> dict[str, Any]:
    """Findings newest first, with the effective state (an acceptance that ran out reads as open)."""
    now = clock.now()
    stmt = (
        select(F, Node.hostname)
        .outerjoin(Node, Node.id == F.node_id)
        .order_by(F.id.desc())
        .limit(min(q.limit, 1000))
    )
    scope = visible_to(who, F.node_id, F.cluster_id)
    conditions = [
        scope,
        sla.is_open(now) if q.open else (~sla.is_open(now) if q.open is False else None),
        sla.overdue(now) if q.overdue else None,
        F.severity == q.severity if q.severity else None,
        F.scanner == q.scanner if q.scanner else None,
        F.check_id == q.check if q.check else None,
        Node.hostname == q.node if q.node else None,
        F.id < q.cursor if q.cursor else None,
    ]
    if q.cluster:
        named = select(Cluster.id).where(Cluster.name == q.cluster).scalar_subquery()
        conditions.append((Node.cluster_id == named) | (F.cluster_id == named))
    for condition in conditions:
        if condition is not None:
            stmt = stmt.where(condition)
    rows = session.execute(stmt).all()
    items = [as_dict(f, hostname, now) for f, hostname in rows]
    more = len(items) == min(q.limit, 1000)
    return {"items": items, "next_cursor": str(items[-1]["id"]) if items and more else None}


def as_dict(f: F, hostname: str | None, now: datetime) -> dict[str, Any]:
    expired = f.status == FindingStatus.ACCEPTED and f.accepted_until is not None and f.accepted_until <= now
    state = FindingStatus.OPEN if expired else f.status
    return {
        "id": f.id,
        "asset_kind": f.asset_kind.value,
        "asset": f.asset,
        "hostname": hostname,
        "scanner": f.scanner.value,
        "check_id": f.check_id,
        "package": f.package,
        "title": f.title,
        "severity": f.severity.value,
        "status": state.value,
        "installed_version": f.installed_version,
        "fixed_version": f.fixed_version,
        "first_seen": f.first_seen,
        "opened_at": f.opened_at,
        "due_at": f.due_at,
        "overdue": state == FindingStatus.OPEN and f.due_at < now,
        "fixed_at": f.fixed_at,
        "reopened": f.reopened,
        "accepted_until": f.accepted_until,
        "accepted_reason": f.accepted_reason,
        "accepted_by": f.accepted_by,
    }


def accept_risk(
    session: Session, who: Principal, finding_id: int, until: datetime, reason: str
) -> dict[str, Any]:
    """A documented exception with an end: the finding leaves the SLA measure until `until`, then counts
    as open again. Reason required, at most a year; audited."""
    who.require_writer()
    now = clock.now()
    if not reason.strip():
        raise InvalidInput(f"finding {finding_id}: field reason: a risk acceptance needs a reason")
    if until.tzinfo is None:
        raise InvalidInput(f"finding {finding_id}: field until: give a timezone (e.g. Z)")
    if not now < until <= now + timedelta(days=MAX_ACCEPT_DAYS):
        raise InvalidInput(f"finding {finding_id}: field until: must be in the next {MAX_ACCEPT_DAYS} days")
    finding = session.get(F, finding_id)
    if finding is None or finding.status == FindingStatus.FIXED:
        raise NotFound(f"finding {finding_id}: no such open finding")
    finding.status, finding.accepted_until = FindingStatus.ACCEPTED, until
    finding.accepted_reason, finding.accepted_by = reason.strip(), who.actor
    change = {"until": until.isoformat(), "reason": reason.strip(), "check": finding.check_id}
    record(session, who.actor, Change("security.accept_risk", "security_finding", str(finding_id), change))
    return as_dict(finding, None, now)


def list_imports(
    session: Session, who: Principal, outcome: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The imports log, refusals included, newest first (staff: a refusal may name any host)."""
    who.require_staff()
    stmt = select(SecurityImport).order_by(SecurityImport.id.desc()).limit(min(limit, 1000))
    if outcome:
        stmt = stmt.where(SecurityImport.outcome == outcome)
    columns = [c.key for c in SecurityImport.__table__.columns if c.key != "digest"]
    return [{c: getattr(row, c) for c in columns} for row in session.scalars(stmt)]


def freshness(session: Session, who: Principal) -> list[dict[str, Any]]:
    """Each node in service, when it was last scanned, and whether that is too long ago."""
    scans, now = last_scans(), clock.now()
    cutoff = now - timedelta(hours=settings().security.stale_after_h)
    stmt = (
        select(Node.hostname, scans.c.scanned_at)
        .outerjoin(scans, scans.c.node_id == Node.id)
        .where(Node.state.in_(IN_SERVICE))
        .order_by(Node.hostname)
    )
    scope = visible_to(who, Node.id, Node.cluster_id)
    if scope is not None:
        stmt = stmt.where(scope)
    return [
        {"hostname": h, "scanned_at": at, "stale": at is None or at < cutoff}
        for h, at in session.execute(stmt)
    ]
