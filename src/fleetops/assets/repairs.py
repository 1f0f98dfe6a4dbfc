"""Repair tickets: a device's repair goes to its site's team through the alert pipeline, and the time from
the ticket to the first message in a team's outbox (time-to-route, goal ≤ 5 min) is measured."""

from __future__ import annotations

import statistics
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.alerts import models as alert_models
from fleetops.alerts import service as alerts
from fleetops.assets import lifecycle
from fleetops.assets.choices import AssetState
from fleetops.assets.models import Asset, RepairTicket
from fleetops.auth.principal import Principal
from fleetops.flow import Finding, finding_labels, fingerprint
from fleetops.inventory.kinds import KINDS
from fleetops.inventory.models import Node
from fleetops.inventory.service import find
from fleetops.wire import FaultOwner, Severity

CHECK = "repair_ticket"
IN_SERVICE = (AssetState.RACKED, AssetState.DEPLOYED)


def open_ticket(session: Session, principal: Principal, hostname: str, reason: str) -> RepairTicket:
    principal.require_writer()
    node = find(session, principal, KINDS["node"], hostname)
    now = clock.now()
    finding = Finding(
        hostname=node["hostname"],
        check=CHECK,
        severity=Severity.WARNING,
        owner=FaultOwner.HARDWARE,
        observed_at=now,
        message=f"repair asked by {principal.actor}: {reason}",
        action="contact_support",
    )
    alerts.ingest_findings(session, [finding])
    asset = session.scalar(select(Asset).where(Asset.node_id == node["id"], Asset.kind == "server"))
    if asset is not None and asset.state in IN_SERVICE:
        lifecycle.move(session, principal.actor, asset, AssetState.REPAIR, at=now, reason=reason)
    ticket = RepairTicket(
        node_id=node["id"],
        asset_id=asset.id if asset else None,
        opened_at=now,
        opened_by=principal.actor,
        reason=reason[:500],
        alert_fingerprint=fingerprint(finding_labels(finding)),
    )
    session.add(ticket)
    session.flush()
    return ticket


def mark_routed(session: Session) -> int:
    """Stamp each unrouted ticket with its incident's first outbox message (time and receiver)."""
    Alert, Outbox = alert_models.Alert, alert_models.Outbox
    first = (
        select(Outbox.incident_id, func.min(Outbox.created_at).label("at"))
        .where(Outbox.action == "trigger")
        .group_by(Outbox.incident_id)
        .subquery()
    )
    stmt = (
        select(RepairTicket, first.c.at, Outbox.receiver)
        .join(Alert, Alert.fingerprint == RepairTicket.alert_fingerprint)
        .join(first, first.c.incident_id == Alert.incident_id)
        .join(Outbox, (Outbox.incident_id == first.c.incident_id) & (Outbox.created_at == first.c.at))
        .where(RepairTicket.routed_at.is_(None), first.c.at >= RepairTicket.opened_at)
    )
    done = 0
    for ticket, at, receiver in session.execute(stmt):
        if ticket.routed_at is None:
            ticket.routed_at, ticket.receiver, done = at, receiver, done + 1
    return done


def time_to_route(session: Session, now: datetime | None = None) -> dict[str, float | int | None]:
    """Seconds from ticket to outbox: median, p99, worst; and how many wait still."""
    rows = session.execute(select(RepairTicket.opened_at, RepairTicket.routed_at)).all()
    seconds = sorted((b - a).total_seconds() for a, b in rows if b is not None)
    waiting = sum(1 for _, b in rows if b is None)
    if not seconds:
        return {"routed": 0, "waiting": waiting, "p50_s": None, "p99_s": None, "max_s": None}
    p99 = seconds[min(len(seconds) - 1, int(round(0.99 * (len(seconds) - 1))))]
    return {
        "routed": len(seconds),
        "waiting": waiting,
        "p50_s": statistics.median(seconds),
        "p99_s": p99,
        "max_s": seconds[-1],
    }


def listed(session: Session, limit: int = 200) -> list[dict[str, object]]:
    stmt = (
        select(RepairTicket, Node.hostname)
        .join(Node, Node.id == RepairTicket.node_id)
        .order_by(RepairTicket.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": t.id,
            "hostname": hostname,
            "reason": t.reason,
            "opened_at": t.opened_at,
            "opened_by": t.opened_by,
            "routed_at": t.routed_at,
            "receiver": t.receiver,
        }
        for t, hostname in session.execute(stmt)
    ]
