"""Console `/incidents`: open incidents, where each went and why, the alert scorecard, and explanations.

Tenants see the incidents and alerts of the clusters `inventory.scope.visible` lets them see; any other
id answers 404, exactly as an unknown one does. The fleet-wide scorecard is for staff.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from fleetops.alerts import models, service
from fleetops.alerts.choices import Disposition, IncidentStatus, OutboxStatus, Priority, Scope
from fleetops.alerts.context import Context
from fleetops.alerts.incidents import move
from fleetops.alerts.policy import P0_MAX_GROUP_WAIT_S
from fleetops.api.deps import SessionDep
from fleetops.api.types import Id
from fleetops.auth.principal import Principal
from fleetops.errors import FleetopsError
from fleetops.web.views import ViewerDep, back_to, render

router = APIRouter(include_in_schema=False)
CHOICES: dict[str, Any] = {
    "Priority": Priority,
    "Scope": Scope,
    "Disposition": Disposition,
    "IncidentStatus": IncidentStatus,
    "OutboxStatus": OutboxStatus,
}
PRIORITY_ORDER = case({"P0": 0, "P1": 1, "P2": 2}, value=models.Incident.priority, else_=3)


def incidents(
    db: Session, who: Principal, status: str, limit: int, priorities: tuple[str, ...] = ()
) -> list[models.Incident]:
    """The viewer's incidents in `status`, worst first (optionally only these priorities)."""
    stmt = (
        select(models.Incident)
        .where(models.Incident.status == status)
        .order_by(PRIORITY_ORDER, models.Incident.id.desc())
        .limit(limit)
    )
    if priorities:
        stmt = stmt.where(models.Incident.priority.in_(priorities))
    return list(db.scalars(service.scoped(who, stmt, models.Incident.cluster_id)))


def node_incidents(db: Session, who: Principal, node_id: int, limit: int = 20) -> list[models.Incident]:
    """The incidents an alert on this node belongs to, newest first (scoped like every incident read)."""
    ids = select(models.Alert.incident_id).where(models.Alert.node_id == node_id)
    stmt = select(models.Incident).where(models.Incident.id.in_(ids)).order_by(models.Incident.id.desc())
    return list(db.scalars(service.scoped(who, stmt.limit(limit), models.Incident.cluster_id)))


def visible_incident(db: Session, who: Principal, incident_id: int) -> bool:
    stmt = service.scoped(
        who, select(models.Incident.id).where(models.Incident.id == incident_id), models.Incident.cluster_id
    )
    return db.scalar(stmt) is not None


def causes(db: Session, incident_ids: list[int]) -> dict[int, str]:
    """The most frequent alert name per incident, e.g. `xid 79` or `gpu_unreachable`: what went wrong."""
    found: dict[int, Counter[str]] = {}
    rows = db.execute(
        select(models.Alert.incident_id, models.Alert.alertname, models.Alert.labels).where(
            models.Alert.incident_id.in_(incident_ids)
        )
    )
    for incident_id, name, labels in rows:
        xid = (labels or {}).get("xid")
        found.setdefault(incident_id, Counter())[f"{name} {xid}" if xid else name] += 1
    return {i: counts.most_common(1)[0][0] for i, counts in found.items()}


def deliveries(db: Session, incident_ids: list[int]) -> dict[int, dict[str, str]]:
    """Per incident, each receiver's latest message status (pending, delivered, failed) from the outbox."""
    found: dict[int, dict[str, str]] = {}
    rows = db.execute(
        select(models.Outbox.incident_id, models.Outbox.receiver, models.Outbox.status)
        .where(models.Outbox.incident_id.in_(incident_ids))
        .order_by(models.Outbox.id)
    )
    for incident_id, receiver, status in rows:
        if incident_id is not None:
            found.setdefault(incident_id, {})[receiver] = status
    return found


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, incident_id: Id, db: SessionDep, who: ViewerDep) -> Response:
    if who is None:
        return render(request, "incident.html", who)
    try:
        incident = service.incident_for(db, who, incident_id)
    except FleetopsError as exc:
        return render(request, "error.html", who, status=exc.status, error=exc.message)
    alerts = db.scalars(
        select(models.Alert)
        .where(models.Alert.incident_id == incident.id)
        .order_by(models.Alert.status, models.Alert.id)
        .limit(500)
    ).all()
    events = db.scalars(
        select(models.IncidentEvent)
        .where(models.IncidentEvent.incident_id == incident.id)
        .order_by(models.IncidentEvent.id)
    ).all()
    messages = db.scalars(
        select(models.Outbox).where(models.Outbox.incident_id == incident.id).order_by(models.Outbox.id)
    ).all()
    return render(
        request,
        "incident.html",
        who,
        incident=incident,
        cause=causes(db, [incident.id]).get(incident.id, "—"),
        alerts=alerts,
        events=events,
        messages=messages,
        can_acknowledge=who.role.can_write_inventory,
        staff=not who.role.tenant_scoped,
        **CHOICES,
    )


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(request: Request, incident_id: Id, db: SessionDep, who: ViewerDep) -> Response:
    """Staff who may write acknowledge; PagerDuty hears it under the incident's dedup_key."""
    if who is None:
        return RedirectResponse("/login", status_code=303)
    try:
        service.incident_for(db, who, incident_id)
        who.require_writer()
        service.acknowledge(db, incident_id, who.actor)
    except FleetopsError as exc:
        return render(request, "error.html", who, status=exc.status, error=exc.message)
    return RedirectResponse(back_to(request, f"/incidents/{incident_id}"), status_code=303)


@router.post("/incidents/{incident_id}/resolve")
def resolve(request: Request, incident_id: Id, db: SessionDep, who: ViewerDep) -> Response:
    """A person closes an incident through its status table; the next flush sends the receivers a resolve."""
    if who is None:
        return RedirectResponse("/login", status_code=303)
    try:
        incident = service.incident_for(db, who, incident_id)
        who.require_writer()
        move(Context(db, actor=who.actor), incident, IncidentStatus.RESOLVED, f"resolved by {who.actor}")
    except FleetopsError as exc:
        return render(request, "error.html", who, status=exc.status, error=exc.message, back="/incidents")
    return RedirectResponse(back_to(request, f"/incidents/{incident_id}"), status_code=303)


def plain_words(found: dict[str, Any]) -> str:
    """`explain`'s verdict as a sentence: `paged: incident #3 is P0 (...)` → `Paged because incident #3 ...`.

    An incident still waiting for its group timer has not paged *yet*: say so rather than "not paged".
    """
    verdict: str = found["verdict"]
    incident = found.get("incident") or {}
    if verdict.startswith("not paged: ") and incident.get("disposition") == Disposition.PENDING.value:
        return (
            f"Not paged yet because incident #{incident['id']} is {incident['priority']} and waits for "
            f"its group timer (a P0 group waits at most {P0_MAX_GROUP_WAIT_S:.0f} s)"
        )
    for prefix, words in (("not paged: ", "Not paged because "), ("paged: ", "Paged because ")):
        if verdict.startswith(prefix):
            return words + verdict[len(prefix) :]
    return verdict[:1].upper() + verdict[1:]


@router.get("/alerts/{alert_id}/explain", response_class=HTMLResponse)
def explain_page(request: Request, alert_id: Id, db: SessionDep, who: ViewerDep) -> Response:
    if who is None:
        return render(request, "explain.html", who)
    stmt = service.scoped(
        who, select(models.Alert.id).where(models.Alert.id == alert_id), models.Alert.cluster_id
    )
    if db.scalar(stmt) is None:
        return render(request, "error.html", who, status=404, error=f"alert {alert_id}: no such alert")
    found = service.explain(db, alert_id)
    history = found.get("history", [])
    priority_why = next((e["why"] for e in reversed(history) if e["field"] == "priority"), None)
    return render(
        request,
        "explain.html",
        who,
        found=found,
        sentence=plain_words(found),
        paged=found["verdict"].startswith("paged"),
        priority_why=priority_why,
        **CHOICES,
    )
