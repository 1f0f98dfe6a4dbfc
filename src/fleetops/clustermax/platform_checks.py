"""Readiness items read from the settings and the control plane's own records: audit retention,
dashboards, orchestrator, remediation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops.audit.models import AuditEvent
from fleetops.auth.choices import Role
from fleetops.auth.models import ApiToken
from fleetops.clustermax.choices import Verdict
from fleetops.config import settings
from fleetops.inventory.models import Cluster
from fleetops.remediation.models import ClusterSettings
from fleetops.remediation.service import switches

Answer = tuple[Verdict, str]
MIN_RETENTION_DAYS = 90


def audit_retention(session: Session, clusters: list[Cluster], at: datetime) -> dict[int, Answer]:
    """The worker purges audit events older than `audit_retention_days`: that setting is the retention."""
    days = settings().audit_retention_days
    oldest = session.scalar(select(func.min(AuditEvent.at)))
    kept = f"; oldest event kept {oldest:%Y-%m-%d}" if oldest else "; no audit event yet"
    verdict = Verdict.PASS if days >= MIN_RETENTION_DAYS else Verdict.FAIL
    said = f"audit events kept {days} days (audit_retention_days, at least {MIN_RETENTION_DAYS}){kept}"
    return {c.id: (verdict, said) for c in clusters}


def dashboards(session: Session, clusters: list[Cluster], at: datetime) -> dict[int, Answer]:
    """The console's cluster page is the cluster's dashboard; it is provisioned once its customer holds a
    console token (customers see their own clusters only)."""
    customers = {c.customer_id for c in clusters if c.customer_id is not None}
    tokens = dict(
        session.execute(
            select(ApiToken.customer_id, func.count())
            .where(ApiToken.role == Role.CUSTOMER, ApiToken.revoked_at.is_(None))
            .where(ApiToken.customer_id.in_(customers))
            .group_by(ApiToken.customer_id)
        ).all()
    )
    out: dict[int, Answer] = {}
    for c in clusters:
        page = f"/clusters/{c.name}"
        if c.customer is None:
            out[c.id] = (Verdict.UNKNOWN, f"no customer yet: nobody to show {page} to")
        elif count := tokens.get(c.customer_id, 0):
            out[c.id] = (Verdict.PASS, f"{c.customer.name} holds {count} active console token(s) for {page}")
        else:
            out[c.id] = (Verdict.FAIL, f"{c.customer.name} holds no active console token: {page} unseen")
    return out


def orchestrator(session: Session, clusters: list[Cluster], at: datetime) -> dict[int, Answer]:
    return {
        c.id: (
            Verdict.PASS if c.orchestrator.compliant else Verdict.FAIL,
            f"inventory: {c.orchestrator.label}",
        )
        for c in clusters
    }


def remediation(session: Session, clusters: list[Cluster], at: datetime) -> dict[int, Answer]:
    """On when the fleet's kill switch and dry run are off and the cluster's own settings leave it on."""
    fleet = {s.name: s for s in switches(session)}
    rows = {
        r.cluster_id: r
        for r in session.scalars(
            select(ClusterSettings).where(ClusterSettings.cluster_id.in_([c.id for c in clusters]))
        )
    }
    for name, said in (
        ("kill", "the fleet's kill switch is on"),
        ("dry_run", "the fleet runs remediation dry"),
    ):
        if fleet[name].on:
            why = f"{said} (set by {fleet[name].changed_by} on {fleet[name].changed_at:%Y-%m-%d})"
            return {c.id: (Verdict.FAIL, why) for c in clusters}
    out: dict[int, Answer] = {}
    for c in clusters:
        row = rows.get(c.id)
        if row is None:
            out[c.id] = (Verdict.PASS, "on (the defaults: no settings changed for this cluster)")
            continue
        by = f"set by {row.updated_by} on {row.updated_at:%Y-%m-%d}"
        if not row.enabled or row.dry_run:
            out[c.id] = (Verdict.FAIL, f"{'dry run' if row.enabled else 'off'} for this cluster ({by})")
        else:
            out[c.id] = (Verdict.PASS, f"on ({by})")
    return out
