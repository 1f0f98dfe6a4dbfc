"""The security incident lifecycle as data: one transition table, one `move()` writing the timeline.

declared → investigating (its commander named: the response SLA ends here) → contained → resolved →
closed (the post-incident review done, root cause written); resolved or contained may go back to
investigating when it returns; a false alarm is resolved from any open state.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.errors import InvalidInput, InvalidTransition
from fleetops.security.incidents.choices import IncidentState
from fleetops.security.incidents.models import SecurityIncident, SecurityIncidentEvent

S = IncidentState

TRANSITIONS: dict[IncidentState, frozenset[IncidentState]] = {
    S.DECLARED: frozenset({S.INVESTIGATING, S.RESOLVED}),
    S.INVESTIGATING: frozenset({S.CONTAINED, S.RESOLVED}),
    S.CONTAINED: frozenset({S.INVESTIGATING, S.RESOLVED}),
    S.RESOLVED: frozenset({S.INVESTIGATING, S.CLOSED}),
    S.CLOSED: frozenset(),
}
STAMPS = {S.INVESTIGATING: "responded_at", S.CONTAINED: "contained_at", S.RESOLVED: "resolved_at"}


def move(session: Session, row: SecurityIncident, new: IncidentState, actor: str, why: str) -> None:
    old = S(row.state)
    if new not in TRANSITIONS[old]:
        options = ", ".join(sorted(s.value for s in TRANSITIONS[old])) or "none (final)"
        raise InvalidTransition(
            f"{row.key}: field state: {old.value} → {new.value} is not allowed (from {old.value}: {options})"
        )
    if new is S.INVESTIGATING and not row.commander:
        raise InvalidInput(f"{row.key}: field commander: name the incident commander before investigating")
    if new is S.CLOSED and not row.root_cause.strip():
        raise InvalidInput(f"{row.key}: field root_cause: write it before closing (post-incident review)")
    now = clock.now()
    row.state = new
    stamp = STAMPS.get(new)
    if stamp and getattr(row, stamp) is None:  # the first time counts: a relapse keeps the SLA's answer
        setattr(row, stamp, now)
    if new is S.CLOSED:
        row.closed_at = now
    session.add(
        SecurityIncidentEvent(
            incident_id=row.id,
            at=now,
            actor=actor,
            kind="state",
            from_state=old.value,
            to_state=new.value,
            text=why,
        )
    )
    change = Change(
        "security_incident.move", "security_incident", row.key, {"state": [old.value, new.value], "why": why}
    )
    record(session, actor, change)
