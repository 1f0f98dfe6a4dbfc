"""The scorecard of the alert path, computed from the rows (never a separately kept number)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops.alerts import models
from fleetops.alerts.policy import default_routes


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
    suppressed = _suppressed(incidents)
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


def _suppressed(incidents: Sequence[models.Incident]) -> dict[str, int]:
    """Alerts kept quiet, by the first words of the reason ("cluster old is decommissioned", "silence")."""
    counts: dict[str, int] = {}
    for incident in incidents:
        if incident.disposition in ("suppressed", "inhibited"):
            reason = incident.reason.split(":")[0].split(" #")[0]
            counts[reason] = counts.get(reason, 0) + incident.alert_count
    return counts


def _forwarded(sent: Sequence[Any]) -> dict[str, int]:
    tree = default_routes()
    by_label = {r.name: r.by_label for r in tree.receivers if r.by_label}
    counts = {"supplier": 0, "customer": 0}
    for row in sent:
        target = by_label.get(row.receiver)
        if target in counts and row.status == "delivered":
            counts[target] += 1
    return counts
