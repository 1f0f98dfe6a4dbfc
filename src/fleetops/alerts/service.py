"""Alert use-cases: ingest (findings, Alertmanager), the periodic tick, incidents, silences.

`explain` (why paged or not) and `measures` (the scorecard) live in their own modules and are re-exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.alerts import classify, correlate, dedupe, ingest, models, notify, outbox, route
from fleetops.alerts.context import Context
from fleetops.alerts.explain import explain
from fleetops.alerts.incidents import record
from fleetops.alerts.measures import measures
from fleetops.alerts.policy import RoutingTree, default_routes
from fleetops.alerts.schemas import IngestResult, SilenceCreate, WebhookPayload
from fleetops.auth.principal import SYSTEM, Principal
from fleetops.db.session import Database
from fleetops.errors import InvalidInput, NotFound
from fleetops.flow import Alert, Finding, alert_from_finding
from fleetops.inventory.models import Cluster
from fleetops.inventory.scope import visible


def process(alerts: list[Alert], ctx: Context) -> IngestResult:
    """THE alert pipeline, in order: each stage passes on what goes on and says why it stopped the rest."""
    received = len(alerts)
    placed = ingest.run(alerts, ctx)
    changed = dedupe.run(placed, ctx)
    incidents = classify.run(correlate.run(changed, ctx), ctx)
    route.run(incidents, ctx)
    return IngestResult(
        received=received,
        stored=len(placed),
        duplicates=ctx.stopped["duplicate"],
        rejected=ctx.rejected[:50],
        incidents_changed=len(incidents),
    )


def ingest_findings(
    session: Session, findings: Sequence[Finding], ctx: Context | None = None
) -> IngestResult:
    ctx = ctx or Context(session)
    return process([alert_from_finding(f) for f in findings], ctx)


def ingest_alertmanager(
    session: Session, payload: WebhookPayload, ctx: Context | None = None
) -> IngestResult:
    ctx = ctx or Context(session)
    return process(ingest.from_webhook(payload.alerts), ctx)


def record_rejection(session: Session, status_code: int, reason: str, body: bytes) -> None:
    """Refused payloads are rows, so a misconfigured sender shows up in the measures, not only in logs."""
    session.add(
        models.RejectedPayload(
            at=clock.now(),
            source="alertmanager",
            status_code=status_code,
            reason=reason[:2000],
            size=len(body),
            excerpt=body[:500].decode("utf-8", "replace"),
        )
    )


def tick(
    database: Database, tree: RoutingTree | None = None, notifiers: notify.Notifiers | None = None
) -> int:
    """Flush due notification groups into the outbox, then deliver what is due; returns messages delivered."""
    tree, notifiers = tree or default_routes(), notifiers or notify.Notifiers()
    now = clock.now()
    with database.transaction() as session:
        notify.flush(session, tree, now, notifiers.secrets)
    return outbox.deliver(database, tree, notifiers, now)


def get_incident(session: Session, incident_id: int) -> models.Incident:
    row = session.get(models.Incident, incident_id)
    if row is None:
        raise NotFound(f"incident {incident_id}: no such incident")
    return row


def scoped(who: Principal, stmt: Select[Any], cluster_column: Any) -> Select[Any]:
    """`stmt` (over incidents or alerts) limited to the rows `who` may read: staff every one, a customer
    or supplier those of its clusters (the inventory scope decides; a row with no cluster is staff-only)."""
    rule = visible("cluster", who)
    return stmt if rule is None else stmt.where(cluster_column.in_(select(Cluster.id).where(rule)))


def visible_incidents(who: Principal) -> Select[Any]:
    """The incidents `who` may read (`scoped`)."""
    return scoped(who, select(models.Incident), models.Incident.cluster_id)


def incident_for(session: Session, who: Principal, incident_id: int) -> models.Incident:
    """The incident as `who` may read it, in one scoped query: another tenant's costs and answers what a
    missing one does (looked up first and checked after, it took a second query: a timing side channel)."""
    row = session.scalar(visible_incidents(who).where(models.Incident.id == incident_id))
    if row is None:
        raise NotFound(f"incident {incident_id}: no such incident")
    return row


def list_incidents(
    session: Session, status: str | None = None, limit: int = 100, who: Principal = SYSTEM
) -> list[models.Incident]:
    """Newest first, those `who` may read (`visible_incidents`)."""
    stmt = visible_incidents(who).order_by(models.Incident.id.desc()).limit(min(limit, 1000))
    if status:
        stmt = stmt.where(models.Incident.status == status)
    return list(session.scalars(stmt))


def acknowledge(session: Session, incident_id: int, actor: str) -> models.Incident:
    """Record who acknowledged, and tell PagerDuty under the same dedup_key so the page stops escalating."""
    incident = get_incident(session, incident_id)
    if incident.acknowledged_at is not None:
        return incident
    now = clock.now()
    incident.acknowledged_at = now
    record(Context(session, actor=actor), incident, "acknowledged", None, "yes", f"acknowledged by {actor}")
    pages = session.scalars(
        select(models.Outbox).where(
            models.Outbox.incident_id == incident_id,
            models.Outbox.kind == "pagerduty",
            models.Outbox.action == "trigger",
        )
    ).all()
    for page in {p.dedup_key: p for p in pages}.values():
        event = {
            "event_action": "acknowledge",
            "dedup_key": page.dedup_key,
        }
        session.add(
            models.Outbox(
                group_id=page.group_id,
                incident_id=incident_id,
                receiver=page.receiver,
                kind=page.kind,
                destination=page.destination,
                dedup_key=page.dedup_key,
                action="acknowledge",
                payload=event,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
    return incident


def create_silence(session: Session, actor: str, data: SilenceCreate) -> models.Silence:
    starts = data.starts_at or clock.now()
    if data.ends_at <= starts:
        raise InvalidInput("silence: ends_at must be after starts_at")
    row = models.Silence(
        kind=data.kind,
        matchers=data.matchers,
        starts_at=starts,
        ends_at=data.ends_at,
        created_by=actor,
        comment=data.comment,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def list_silences(session: Session, active_at: datetime | None = None) -> list[models.Silence]:
    stmt = select(models.Silence).order_by(models.Silence.id)
    if active_at is not None:
        stmt = stmt.where(models.Silence.starts_at <= active_at, models.Silence.ends_at > active_at)
    return list(session.scalars(stmt))


def expire_silence(session: Session, silence_id: int) -> models.Silence:
    row = session.get(models.Silence, silence_id)
    if row is None:
        raise NotFound(f"silence {silence_id}: no such silence")
    row.ends_at = min(row.ends_at, clock.now())
    return row


__all__ = [
    "acknowledge",
    "create_silence",
    "expire_silence",
    "explain",
    "get_incident",
    "ingest_alertmanager",
    "ingest_findings",
    "list_incidents",
    "list_silences",
    "measures",
    "process",
    "record_rejection",
    "tick",
]
