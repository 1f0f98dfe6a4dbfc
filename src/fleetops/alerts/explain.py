"""Why an alert paged, ticketed, forwarded or stayed quiet: the answer an operator asks for at 3 am.

A message routed is not a message heard: a page or forward that failed, or is being retried, is named in
the verdict with its reason (a supplier without a Slack webhook, a receiver's 4xx), so "routed to
supplier-slack" is never read as "the supplier knows".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.alerts import models
from fleetops.alerts.choices import OutboxStatus, ReceiverKind
from fleetops.alerts.schemas import ExplainedAlert, ExplainedIncident
from fleetops.errors import NotFound

# The fields shown of each, as the answer's schema declares them.
ALERT_FIELDS = tuple(ExplainedAlert.model_fields)
INCIDENT_FIELDS = tuple(ExplainedIncident.model_fields)


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
    messages = session.scalars(
        select(models.Outbox).where(models.Outbox.incident_id == incident.id).order_by(models.Outbox.id)
    ).all()
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
    undelivered = _undelivered(messages)
    verdict = _verdict(incident, messages)
    return found | {
        "incident": _pick(incident, INCIDENT_FIELDS),
        "verdict": verdict + (f"; not delivered: {'; '.join(undelivered)}" if undelivered else ""),
        "undelivered": undelivered,
        "history": history,
        "messages": sent,
    }


def _undelivered(messages: Sequence[models.Outbox]) -> list[str]:
    """Messages nobody has heard: failed for good, or failing and being retried, each with its reason."""
    found = []
    for m in messages:
        if m.status == OutboxStatus.FAILED.value:
            found.append(f"{m.receiver} {m.action} failed: {m.last_error}")
        elif m.status == OutboxStatus.PENDING.value and m.last_error:
            found.append(f"{m.receiver} {m.action} retrying after {m.attempts} attempts: {m.last_error}")
    return found


def _verdict(incident: models.Incident, messages: Sequence[models.Outbox]) -> str:
    pages = [m for m in messages if m.kind == ReceiverKind.PAGERDUTY.value and m.action == "trigger"]
    if any(m.status == OutboxStatus.DELIVERED.value for m in pages):
        return f"paged: incident #{incident.id} is {incident.priority} ({incident.reason})"
    if pages:
        return f"not paged: incident #{incident.id} is {incident.priority}, but its page is not delivered"
    if incident.disposition in ("suppressed", "inhibited"):
        return f"not paged: {incident.disposition}, {incident.reason}"
    where = ", ".join(incident.receivers) or "no receiver"
    return f"not paged: incident #{incident.id} is {incident.priority}, routed to {where}"
