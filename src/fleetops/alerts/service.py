"""Alert use-cases: ingest (findings, Alertmanager), the periodic tick, explanations and measures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.alerts import classify, correlate, dedupe, ingest, models, notify, outbox, route
from fleetops.alerts.context import Context
from fleetops.alerts.incidents import record
from fleetops.alerts.policy import RoutingTree, default_routes
from fleetops.alerts.schemas import IngestResult, SilenceCreate, WebhookPayload
from fleetops.db.session import Database
from fleetops.errors import InvalidInput, NotFound
from fleetops.flow import Alert, Finding, alert_from_finding


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
    tree = tree or default_routes()
    now = clock.now()
    with database.transaction() as session:
        notify.flush(session, tree, now)
    return outbox.deliver(database, tree, notifiers or notify.Notifiers(), now)


def get_incident(session: Session, incident_id: int) -> models.Incident:
    row = session.get(models.Incident, incident_id)
    if row is None:
        raise NotFound(f"incident {incident_id}: no such incident")
    return row


def list_incidents(session: Session, status: str | None = None, limit: int = 100) -> list[models.Incident]:
    stmt = select(models.Incident).order_by(models.Incident.id.desc()).limit(min(limit, 1000))
    if status:
        stmt = stmt.where(models.Incident.status == status)
    return list(session.scalars(stmt))


def explain(session: Session, alert_id: int) -> dict[str, Any]:
    """Why this alert paged, ticketed, forwarded or stayed quiet: incident, priority, route, messages."""
    alert = session.get(models.Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id}: no such alert")
    found: dict[str, Any] = {
        "alert": {
            "id": alert.id,
            "fingerprint": alert.fingerprint,
            "status": alert.status,
            "labels": alert.labels,
            "repeats": alert.repeats,
        }
    }
    incident = session.get(models.Incident, alert.incident_id) if alert.incident_id else None
    while incident is not None and incident.merged_into_id:
        incident = session.get(models.Incident, incident.merged_into_id)
    if incident is None:
        return found | {
            "verdict": "not correlated into an incident (resolved before it fired, or never placed)"
        }
    events = session.scalars(
        select(models.IncidentEvent)
        .where(models.IncidentEvent.incident_id == incident.id)
        .order_by(models.IncidentEvent.id)
    ).all()
    messages = session.scalars(select(models.Outbox).where(models.Outbox.incident_id == incident.id)).all()
    paged = any(m.kind == "pagerduty" and m.action == "trigger" for m in messages)
    return found | {
        "incident": {
            "id": incident.id,
            "key": incident.key,
            "priority": incident.priority,
            "status": incident.status,
            "disposition": incident.disposition,
            "reason": incident.reason,
            "receivers": incident.receivers,
        },
        "verdict": _verdict(incident, paged),
        "history": [
            {
                "at": e.at.isoformat(),
                "field": e.field,
                "from": e.from_value,
                "to": e.to_value,
                "why": e.reason,
            }
            for e in events
        ],
        "messages": [
            {
                "receiver": m.receiver,
                "action": m.action,
                "status": m.status,
                "attempts": m.attempts,
                "dedup_key": m.dedup_key,
                "error": m.last_error,
            }
            for m in messages
        ],
    }


def _verdict(incident: models.Incident, paged: bool) -> str:
    if paged:
        return f"paged: incident #{incident.id} is {incident.priority} ({incident.reason})"
    if incident.disposition in ("suppressed", "inhibited"):
        return f"not paged: {incident.disposition}, {incident.reason}"
    where = ", ".join(incident.receivers) or "no receiver"
    return f"not paged: incident #{incident.id} is {incident.priority}, routed to {where}"


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measures(session: Session) -> dict[str, Any]:
    """The scorecard of the alert path, computed from the rows (never a separately kept number)."""
    alerts, repeats = session.execute(
        select(func.count(), func.coalesce(func.sum(models.Alert.repeats), 0)).select_from(models.Alert)
    ).one()
    incidents = session.scalars(select(models.Incident).where(models.Incident.status != "merged")).all()
    sent = session.execute(
        select(
            models.Outbox.kind,
            models.Outbox.receiver,
            models.Outbox.action,
            models.Outbox.dedup_key,
            models.Outbox.status,
        )
    ).all()
    pages = {r.dedup_key for r in sent if r.kind == "pagerduty" and r.action == "trigger"}
    tickets = {r.dedup_key for r in sent if r.kind == "jira"}
    suppressed: dict[str, int] = {}
    for i in incidents:
        if i.disposition in ("suppressed", "inhibited"):
            reason = i.reason.split(":")[0].split(" #")[0]
            suppressed[reason] = suppressed.get(reason, 0) + i.alert_count
    to_notify = [
        (i.first_notified_at - i.opened_at).total_seconds() for i in incidents if i.first_notified_at
    ]
    to_ack = [(i.acknowledged_at - i.opened_at).total_seconds() for i in incidents if i.acknowledged_at]
    received = alerts + repeats
    return {
        "alerts_in": received,
        "alerts_distinct": alerts,
        "incidents_opened": len(incidents),
        "pages_sent": len(pages),
        "tickets_opened": len(tickets),
        "forwarded": _forwarded(sent),
        "suppressed_alerts_by_reason": suppressed,
        "page_reduction": 1 - len(pages) / alerts if alerts else None,
        "time_to_notify_s": {"median": _quantile(to_notify, 0.5), "p99": _quantile(to_notify, 0.99)},
        "time_to_ack_s": {"median": _quantile(to_ack, 0.5), "p99": _quantile(to_ack, 0.99)},
        "outbox": {s: sum(1 for r in sent if r.status == s) for s in ("pending", "delivered", "failed")},
        "rejected_payloads": session.scalar(select(func.count()).select_from(models.RejectedPayload)),
    }


def _forwarded(sent: Sequence[Any]) -> dict[str, int]:
    tree = default_routes()
    by_label = {r.name: r.by_label for r in tree.receivers if r.by_label}
    counts = {"supplier": 0, "customer": 0}
    for row in sent:
        target = by_label.get(row.receiver)
        if target in counts and row.status == "delivered":
            counts[target] += 1
    return counts


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
            "routing_key": page.payload.get("routing_key", ""),
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
