"""Notify: when a group's timer is due, write one message per group (never per alert) to the outbox.

The message shapes follow each receiver's documentation (see the adapters' client docstrings). The
PagerDuty dedup_key and the Jira label are the group's first incident, so every retry, repeat and resolve
lands on the same page or ticket.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from fleetops.adapters.jira import Ticketer
from fleetops.adapters.pagerduty import Pager
from fleetops.adapters.slack import ChatNotifier
from fleetops.alerts import models
from fleetops.alerts.choices import Disposition, IncidentStatus, OutboxStatus
from fleetops.alerts.policy import Receiver, RoutingTree

MUTED = (Disposition.SUPPRESSED.value, Disposition.INHIBITED.value)
PD_SEVERITY = {"P0": "critical", "P1": "error", "P2": "warning", "P3": "info"}


@dataclass
class Notifiers:
    """The three outbound ports; production uses the real clients, tests the fakes or a local receiver."""

    pager: Pager = field(default_factory=lambda: _real("pagerduty"))
    chat: ChatNotifier = field(default_factory=lambda: _real("slack"))
    ticketer: Ticketer = field(default_factory=lambda: _real("jira"))


def _real(kind: str) -> Any:
    if kind == "pagerduty":
        from fleetops.adapters.pagerduty.client import PagerDutyClient

        return PagerDutyClient()
    if kind == "slack":
        from fleetops.adapters.slack.client import SlackClient

        return SlackClient()
    from fleetops.adapters.jira.client import JiraClient

    return JiraClient(token=os.environ.get("FLEETOPS_JIRA_TOKEN"))


def dedup_key(incident_id: int) -> str:
    return f"fleetops-incident-{incident_id}"


def _summary(incidents: list[models.Incident]) -> str:
    head = incidents[0]
    labels = head.labels
    where = labels.get("cluster", "") + (f"/{labels['rack']}" if head.scope == "rack" else "")
    where += f"/{labels['node']}" if head.scope in ("node", "gpu") and "node" in labels else ""
    text = (
        f"[{head.priority}] {head.scope} incident #{head.id} on {where or head.subject}: "
        f"{head.alert_count} alerts on {head.node_count} nodes, owner {head.owner}"
    )
    return text + (f" (+{len(incidents) - 1} more incidents)" if len(incidents) > 1 else "")


def _pagerduty(receiver: Receiver, incidents: list[models.Incident], action: str) -> dict[str, Any]:
    head = incidents[0]
    event: dict[str, Any] = {
        "routing_key": os.environ.get(receiver.secret_env or "", ""),
        "event_action": action,
        "dedup_key": dedup_key(head.id),
    }
    if action == "trigger":
        event["payload"] = {
            "summary": _summary(incidents)[:1024],
            "source": head.labels.get("cluster", head.subject),
            "severity": PD_SEVERITY.get(head.priority, "warning"),
            "component": head.scope,
            "group": head.labels.get("supplier", ""),
            "class": head.labels.get("alertname", head.scope),
            "custom_details": {
                "incidents": [i.id for i in incidents],
                "labels": head.labels,
                "reason": head.reason,
            },
        }
    return event


def _slack(incidents: list[models.Incident], action: str) -> dict[str, Any]:
    text = ("RESOLVED " if action == "resolve" else "") + _summary(incidents)
    lines = [f"• #{i.id} {i.scope} {i.subject}: {i.status}, {i.alert_count} alerts" for i in incidents[:20]]
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        ],
    }


def _jira(receiver: Receiver, incidents: list[models.Incident]) -> dict[str, Any]:
    head = incidents[0]
    description = "\n".join(
        f"#{i.id} {i.key}: {i.alert_count} alerts, {i.node_count} nodes; {i.reason}" for i in incidents
    )
    return {
        "project": {"key": receiver.project or "OPS"},
        "summary": _summary(incidents)[:255],
        "description": description,
        "issuetype": {"name": "Task"},
        "labels": ["fleetops", dedup_key(head.id), f"owner-{head.owner}"],
    }


def message(receiver: Receiver, incidents: list[models.Incident], action: str) -> dict[str, Any] | None:
    """The documented payload for this receiver; None when the receiver has nothing to say (Jira resolve)."""
    if receiver.kind == "pagerduty":
        return _pagerduty(receiver, incidents, action)
    if receiver.kind == "slack":
        return _slack(incidents, action)
    return _jira(receiver, incidents) if action == "trigger" else None


def _digest(incidents: list[models.Incident]) -> str:
    text = ";".join(f"{i.id}:{i.status}:{i.priority}" for i in sorted(incidents, key=lambda i: i.id))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _live(session: Any, group: models.NotificationGroup) -> list[models.Incident]:
    rows = session.scalars(select(models.Incident).where(models.Incident.id.in_(group.incident_ids))).all()
    return sorted(
        (
            r
            for r in rows
            if r.status == IncidentStatus.RESOLVED.value
            or (r.status == IncidentStatus.OPEN.value and r.disposition not in MUTED)
        ),
        key=lambda r: r.id,
    )


def _decide(group: models.NotificationGroup, incidents: list[models.Incident], now: datetime) -> str | None:
    """trigger, resolve, or None (nothing new and not yet time to repeat)."""
    all_resolved = all(i.status == IncidentStatus.RESOLVED.value for i in incidents)
    if not incidents or (all_resolved and group.last_digest is None):
        return None
    if _digest(incidents) != group.last_digest:
        return "resolve" if all_resolved else "trigger"
    due = group.last_flushed_at and now >= group.last_flushed_at + timedelta(seconds=group.repeat_interval_s)
    return "trigger" if due and not all_resolved else None


def flush(session: Any, tree: RoutingTree, now: datetime) -> int:
    """Flush every due group; returns the number of messages written to the outbox."""
    groups = session.scalars(
        select(models.NotificationGroup).where(models.NotificationGroup.flush_at <= now)
    ).all()
    rows: list[dict[str, Any]] = []
    for group in groups:
        incidents = _live(session, group)
        action = _decide(group, incidents, now)
        if action is not None:
            rows += _enqueue(tree.receiver(group.receiver), group, incidents, action, now)
            group.last_flushed_at, group.last_digest = now, _digest(incidents)
        resolved = all(i.status == IncidentStatus.RESOLVED.value for i in incidents)
        last = group.last_flushed_at or now
        group.flush_at = (
            None if resolved or not incidents else last + timedelta(seconds=group.repeat_interval_s)
        )
    if rows:
        session.execute(insert(models.Outbox), rows)
    return len(rows)


def _enqueue(
    receiver: Receiver,
    group: models.NotificationGroup,
    incidents: list[models.Incident],
    action: str,
    now: datetime,
) -> list[dict[str, Any]]:
    payload = message(receiver, incidents, action)
    for incident in incidents:
        if action == "trigger" and incident.first_notified_at is None:
            incident.first_notified_at = now
        incident.disposition = Disposition.NOTIFIED.value
    if payload is None:
        return []
    url, why = receiver.destination(incidents[0].labels)
    status, error = (OutboxStatus.PENDING.value, None) if url else (OutboxStatus.FAILED.value, why)
    return [
        {
            "group_id": group.id,
            "incident_id": incidents[0].id,
            "receiver": receiver.name,
            "kind": receiver.kind,
            "destination": url or "",
            "dedup_key": dedup_key(incidents[0].id),
            "action": action,
            "payload": payload,
            "status": status,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "last_attempt_at": None,
            "delivered_at": None,
            "last_error": error,
            "remote_id": None,
        }
    ]
