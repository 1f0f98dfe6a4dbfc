"""Notify: when a group's timer is due, write one message per group (never per alert) to the outbox.

The PagerDuty dedup_key and the Jira label are the group's first incident, so every retry, repeat and
resolve lands on the same page or ticket. An incident merged into a wider one closes like a resolved one:
its page, forward and ticket are closed saying which incident carries on (the payloads: `messages`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from fleetops.adapters.jira import Ticketer
from fleetops.adapters.jira.client import JiraClient
from fleetops.adapters.pagerduty import Pager
from fleetops.adapters.pagerduty.client import PagerDutyClient
from fleetops.adapters.slack import ChatNotifier
from fleetops.adapters.slack.client import SlackClient
from fleetops.alerts import models
from fleetops.alerts.choices import Disposition, IncidentStatus, OutboxStatus, Scope
from fleetops.alerts.context import Context
from fleetops.alerts.incidents import record
from fleetops.alerts.messages import FAULT_LINES, Fault, dedup_key, message
from fleetops.alerts.policy import Receiver, RoutingTree
from fleetops.alerts.route import REMEDIATION_NODE_STATES
from fleetops.backends.settings import Notify
from fleetops.config import settings
from fleetops.inventory.placement import placements

SUPPRESSED = Disposition.SUPPRESSED.value
MUTED = (SUPPRESSED, Disposition.INHIBITED.value)
CLOSED = (IncidentStatus.RESOLVED.value, IncidentStatus.MERGED.value)


@dataclass
class Notifiers:
    """The three outbound ports and the receivers' credentials, looked up at delivery so no secret is
    ever written to an outbox row; production uses the real clients, tests the fakes or a local receiver."""

    pager: Pager = field(default_factory=lambda: PagerDutyClient())
    chat: ChatNotifier = field(default_factory=lambda: SlackClient())
    ticketer: Ticketer = field(default_factory=lambda: jira_client(settings().notify))
    secrets: Notify = field(default_factory=lambda: settings().notify)


def jira_client(notify: Notify) -> JiraClient:
    return JiraClient(token=notify.jira_token.get_secret_value() if notify.jira_token else None)


def _digest(incidents: list[models.Incident]) -> str:
    text = ";".join(f"{i.id}:{i.status}:{i.priority}" for i in sorted(incidents, key=lambda i: i.id))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _live(session: Any, group: models.NotificationGroup) -> list[models.Incident]:
    rows = session.scalars(select(models.Incident).where(models.Incident.id.in_(group.incident_ids))).all()
    return sorted(
        (
            r
            for r in rows
            if r.status in CLOSED or (r.status == IncidentStatus.OPEN.value and r.disposition not in MUTED)
        ),
        key=lambda r: r.id,
    )


def _decide(group: models.NotificationGroup, incidents: list[models.Incident], now: datetime) -> str | None:
    """trigger, resolve, or None (nothing new and not yet time to repeat)."""
    all_resolved = all(i.status in CLOSED for i in incidents)
    if not incidents or (all_resolved and group.last_digest is None):
        return None
    if _digest(incidents) != group.last_digest:
        return "resolve" if all_resolved else "trigger"
    due = group.last_flushed_at and now >= group.last_flushed_at + timedelta(seconds=group.repeat_interval_s)
    return "trigger" if due and not all_resolved else None


def flush(session: Any, tree: RoutingTree, now: datetime, secrets: Notify | None = None) -> int:
    """Flush every due group; returns the number of messages written to the outbox."""
    groups = session.scalars(
        select(models.NotificationGroup).where(models.NotificationGroup.flush_at <= now)
    ).all()
    rows: list[dict[str, Any]] = []
    for group in groups:
        incidents = _not_taken_by_remediation(session, _live(session, group), now)
        action = _decide(group, incidents, now)
        if action is not None:
            receiver = tree.receiver(group.receiver)
            rows += _enqueue(session, receiver, group, incidents, action, now, secrets)
            group.last_flushed_at, group.last_digest = now, _digest(incidents)
        resolved = all(i.status in CLOSED for i in incidents)
        last = group.last_flushed_at or now
        group.flush_at = (
            None if resolved or not incidents else last + timedelta(seconds=group.repeat_interval_s)
        )
    if rows:
        session.execute(insert(models.Outbox), rows)
    return len(rows)


def _not_taken_by_remediation(
    session: Any, incidents: list[models.Incident], now: datetime
) -> list[models.Incident]:
    """Node incidents nobody was told of yet whose node remediation has taken since they were routed
    (draining, repair, rma) are suppressed here: the run owns the fault and tickets the supplier if its
    ladder gets there, so telling the supplier now would open a second ticket for one fault. Routing
    decided 30 s earlier, before the engine drained the node."""
    fresh = [
        i
        for i in incidents
        if i.scope == Scope.NODE.value
        and i.status == IncidentStatus.OPEN.value
        and i.first_notified_at is None
    ]
    if not fresh:
        return incidents
    where = placements(session, (i.subject for i in fresh))
    taken = []
    for incident in fresh:
        place = where.get(incident.subject)
        if place is not None and place.state.value in REMEDIATION_NODE_STATES:
            why = (
                f"node {incident.subject} is under remediation ({place.state.value}): the run owns the fault"
            )
            record(Context(session, now=now), incident, "disposition", incident.disposition, SUPPRESSED, why)
            incident.disposition, incident.reason = SUPPRESSED, why
            taken.append(incident.id)
    return [i for i in incidents if i.id not in taken]


def _faults(session: Any, incidents: list[models.Incident]) -> list[Fault]:
    """What broke, from the first alerts of the group's incidents (one select, at most FAULT_LINES rows)."""
    stmt = (
        select(models.Alert.labels)
        .where(models.Alert.incident_id.in_([i.id for i in incidents]))
        .order_by(models.Alert.id)
        .limit(FAULT_LINES)
    )
    return [Fault.of(labels) for labels in session.scalars(stmt)]


def _folded_into(session: Any, incidents: list[models.Incident]) -> models.Incident | None:
    """The wider incident the group's head was merged into, named by the closing message."""
    head = incidents[0]
    return session.get(models.Incident, head.merged_into_id) if head.merged_into_id else None


def _enqueue(
    session: Any,
    receiver: Receiver,
    group: models.NotificationGroup,
    incidents: list[models.Incident],
    action: str,
    now: datetime,
    secrets: Notify | None,
) -> list[dict[str, Any]]:
    faults = _faults(session, incidents) if action == "trigger" else []
    into = _folded_into(session, incidents) if action == "resolve" else None
    payload = message(receiver, incidents, action, faults, into)
    for incident in incidents:
        if action == "trigger" and incident.first_notified_at is None:
            incident.first_notified_at = now
        incident.disposition = Disposition.NOTIFIED.value
    if payload is None:
        return []
    url, why = receiver.destination(incidents[0].labels, secrets)
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
