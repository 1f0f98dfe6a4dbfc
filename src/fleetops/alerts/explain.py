"""Why an alert paged, ticketed, forwarded or stayed quiet: the answer an operator asks for at 3 am."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.alerts import models
from fleetops.errors import NotFound

ALERT_FIELDS = ("id", "fingerprint", "status", "labels", "repeats")
INCIDENT_FIELDS = ("id", "key", "priority", "status", "disposition", "reason", "receivers")


def _pick(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in fields}


def _home(session: Session, alert: models.Alert) -> models.Incident | None:
    """The incident that speaks for the alert now: merged incidents point on to the wider one."""
    incident = session.get(models.Incident, alert.incident_id) if alert.incident_id else None
    while incident is not None and incident.merged_into_id:
        incident = session.get(models.Incident, incident.merged_into_id)
    return incident


def explain(session: Session, alert_id: int) -> dict[str, Any]:
    """Why this alert paged, ticketed, forwarded or stayed quiet: incident, priority, route, messages."""
    alert = session.get(models.Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id}: no such alert")
    found: dict[str, Any] = {"alert": _pick(alert, ALERT_FIELDS)}
    incident = _home(session, alert)
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
    history = [
        {"at": e.at.isoformat(), "field": e.field, "from": e.from_value, "to": e.to_value, "why": e.reason}
        for e in events
    ]
    sent = [
        {
            "receiver": m.receiver,
            "action": m.action,
            "status": m.status,
            "attempts": m.attempts,
            "dedup_key": m.dedup_key,
            "error": m.last_error,
        }
        for m in messages
    ]
    return found | {
        "incident": _pick(incident, INCIDENT_FIELDS),
        "verdict": _verdict(incident, paged),
        "history": history,
        "messages": sent,
    }


def _verdict(incident: models.Incident, paged: bool) -> str:
    if paged:
        return f"paged: incident #{incident.id} is {incident.priority} ({incident.reason})"
    if incident.disposition in ("suppressed", "inhibited"):
        return f"not paged: {incident.disposition}, {incident.reason}"
    where = ", ".join(incident.receivers) or "no receiver"
    return f"not paged: incident #{incident.id} is {incident.priority}, routed to {where}"
