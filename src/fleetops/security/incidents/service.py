"""Security incident use-cases: declare, lead, move, note, and who may see one.

Staff see incidents; only a `security` token sees (or sets) a confidential one: to anyone else it is
404, like one that does not exist, decided in the query. Tenants see none: they are told through the
notices (`notices.render`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.db.ids import as_id
from fleetops.errors import NotFound
from fleetops.security.incidents import fsm
from fleetops.security.incidents.choices import IncidentRole, IncidentState, Priority
from fleetops.security.incidents.models import SecurityIncident, SecurityIncidentEvent

WRITERS = (Role.ADMIN, Role.OPERATOR, Role.SECURITY)
KEY = re.compile(r"^(?:SEC-)?(\d+)$", re.IGNORECASE)


def _visible(stmt: Select[Any], who: Principal) -> Select[Any]:
    who.require_staff()
    if who.role is not Role.SECURITY:
        stmt = stmt.where(SecurityIncident.confidential.is_(False))
    return stmt


def declare(
    session: Session,
    who: Principal,
    title: str,
    priority: Priority,
    summary: str = "",
    confidential: bool = False,
    customers: str = "",
) -> SecurityIncident:
    who.require(*WRITERS)
    if confidential:
        who.require(Role.SECURITY)
    row = SecurityIncident(
        title=title,
        priority=priority,
        summary=summary,
        confidential=confidential,
        customers=customers,
        declared_by=who.actor,
    )
    session.add(row)
    session.flush()
    add_event(
        session,
        row,
        who.actor,
        "declared",
        f"{priority.value}: {title}",
        to_state=IncidentState.DECLARED.value,
    )
    record(
        session,
        who.actor,
        Change("security_incident.declare", "security_incident", row.key, {"priority": priority.value}),
    )
    return row


def get(session: Session, who: Principal, key: str) -> SecurityIncident:
    matched = KEY.match(key.strip())
    number = as_id(matched[1]) if matched else None  # SEC-<a number past INTEGER> names no incident
    found = (
        session.scalar(_visible(select(SecurityIncident), who).where(SecurityIncident.id == number))
        if number
        else None
    )
    if found is None:
        raise NotFound(f"no security incident {key}")
    return found


def listed(session: Session, who: Principal, open_only: bool = False) -> Sequence[SecurityIncident]:
    stmt = _visible(select(SecurityIncident), who).order_by(SecurityIncident.id.desc())
    if open_only:
        stmt = stmt.where(SecurityIncident.state != IncidentState.CLOSED)
    return session.scalars(stmt).all()


def timeline(session: Session, incident: SecurityIncident) -> Sequence[SecurityIncidentEvent]:
    return session.scalars(
        select(SecurityIncidentEvent)
        .where(SecurityIncidentEvent.incident_id == incident.id)
        .order_by(SecurityIncidentEvent.at, SecurityIncidentEvent.id)
    ).all()


def move(session: Session, who: Principal, key: str, state: IncidentState, why: str) -> SecurityIncident:
    who.require(*WRITERS)
    row = get(session, who, key)
    fsm.move(session, row, state, who.actor, why)
    return row


def assign(session: Session, who: Principal, key: str, role: IncidentRole, person: str) -> SecurityIncident:
    who.require(*WRITERS)
    row = get(session, who, key)
    before = getattr(row, role.value)
    setattr(row, role.value, person)
    add_event(session, row, who.actor, "role", f"{role.label}: {before or '—'} → {person}")
    record(
        session,
        who.actor,
        Change("security_incident.assign", "security_incident", row.key, {role.value: [before, person]}),
    )
    return row


def update(session: Session, who: Principal, key: str, **fields: Any) -> SecurityIncident:
    """Change the summary, root cause, customers, priority or (security only) confidentiality."""
    who.require(*WRITERS)
    row = get(session, who, key)
    if "confidential" in fields:
        who.require(Role.SECURITY)
    changed = {k: [getattr(row, k), v] for k, v in fields.items() if getattr(row, k) != v}
    for name, (_, value) in changed.items():
        setattr(row, name, value)
    if changed:
        add_event(session, row, who.actor, "note", "changed " + ", ".join(sorted(changed)))
        audit = {k: [str(a), str(b)] for k, (a, b) in changed.items()}
        record(session, who.actor, Change("security_incident.update", "security_incident", row.key, audit))
    return row


def note(session: Session, who: Principal, key: str, text: str, public: bool) -> SecurityIncidentEvent:
    """A timeline entry; a public one is what the next customer update says."""
    who.require(*WRITERS)
    row = get(session, who, key)
    return add_event(session, row, who.actor, "note", text, public=public)


def add_event(
    session: Session,
    row: SecurityIncident,
    actor: str,
    kind: str,
    text: str,
    *,
    to_state: str | None = None,
    public: bool = False,
) -> SecurityIncidentEvent:
    event = SecurityIncidentEvent(
        incident_id=row.id,
        at=clock.now(),
        actor=actor,
        kind=kind,
        to_state=to_state,
        text=text,
        public=public,
    )
    session.add(event)
    session.flush()
    return event


def sla(row: SecurityIncident) -> dict[str, Any]:
    """The response clock: due, answered when, met or not (None while it runs)."""
    due = row.declared_at + row.priority.response
    answered = row.responded_at
    met = None if answered is None and clock.now() <= due else answered is not None and answered <= due
    return {
        "response_due": due,
        "responded_at": answered,
        "response_met": met,
        "update_every_h": row.priority.update_every.total_seconds() / 3600,
    }
