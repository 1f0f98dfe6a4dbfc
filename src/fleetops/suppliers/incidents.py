"""A supplier's incidents: those the routing tree forwards to the supplier, its acknowledgement (a row
in the incident's history, who and when) and the time from opened to acknowledged."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from fleetops.alerts import models
from fleetops.alerts.context import Context
from fleetops.alerts.incidents import record
from fleetops.alerts.policy import default_routes
from fleetops.audit.service import Change
from fleetops.audit.service import record as audit
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.errors import NotFound
from fleetops.inventory.models import Supplier

ACKNOWLEDGED = "supplier_acknowledged"


def _supplier_receivers() -> set[str]:
    """The receivers that reach a supplier: those the routing tree addresses by the supplier label."""
    return {r.name for r in default_routes().receivers if r.by_label == "supplier"}


def _is_suppliers(incident: models.Incident, supplier: str) -> bool:
    forwarded = _supplier_receivers() & set(incident.receivers or [])
    return bool(forwarded) and (incident.labels or {}).get("supplier") == supplier


def acknowledge(session: Session, principal: Principal, incident_id: int) -> datetime:
    """The supplier says it has the incident in hand; another supplier's incident is a 404 like a missing
    one. Acknowledging twice keeps the first time (the one the scorecard measures)."""
    principal.require(Role.SUPPLIER)
    supplier = session.get(Supplier, principal.supplier_id)
    incident = session.get(models.Incident, incident_id)
    if supplier is None or incident is None or not _is_suppliers(incident, supplier.name):
        raise NotFound(f"incident {incident_id}: no such incident")
    first = session.scalar(
        select(models.IncidentEvent.at).where(
            models.IncidentEvent.incident_id == incident_id, models.IncidentEvent.field == ACKNOWLEDGED
        )
    )
    if first is not None:
        return first
    ctx = Context(session, actor=principal.actor)
    record(ctx, incident, ACKNOWLEDGED, None, supplier.name, f"acknowledged by {principal.actor}")
    audit(session, principal.actor, Change("incident.supplier_acknowledge", "incident", str(incident_id), {}))
    return ctx.now


def response_times(session: Session, suppliers: list[str], start: datetime, end: datetime) -> dict[str, list]:
    """Per supplier, seconds from opened to the supplier's acknowledgement for incidents opened in
    [start, end); one still unacknowledged at `end` counts as `end - opened` (at least that long)."""
    supplier = models.Incident.labels["supplier"].as_string()
    # Matched in SQL, on the JSON's text for the receivers: decoding every incident's labels in Python
    # was 60 % of a 20-supplier scorecard.
    sent = [cast(models.Incident.receivers, String).contains(f'"{name}"') for name in _supplier_receivers()]
    # The first acknowledgement read alongside each incident: a list of the incidents' ids to look them
    # up by was 65 ms a 20-supplier scorecard, mostly SQLAlchemy naming its 2,000 parameters.
    acked = (
        select(func.min(models.IncidentEvent.at))
        .where(
            models.IncidentEvent.incident_id == models.Incident.id, models.IncidentEvent.field == ACKNOWLEDGED
        )
        .scalar_subquery()
    )
    mine = session.execute(
        select(models.Incident.opened_at, supplier, acked).where(
            models.Incident.opened_at >= start,
            models.Incident.opened_at < end,
            models.Incident.status != "merged",
            supplier.in_(suppliers),
            or_(*sent),
        )
    ).all()
    out: dict[str, list] = defaultdict(list)
    for opened, name, first in mine:
        until = first if first is not None and first < end else end
        out[name].append((until - opened).total_seconds())
    return out
