"""Access requests as data: one transition table, one `move()` that checks it and audits every step.

requested → granted (by someone other than the requester and the person) → expired at its end;
requested → denied; granted → revoked before its end.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.errors import InvalidTransition
from fleetops.security.access.choices import RequestState
from fleetops.security.access.models import AccessRequest

S = RequestState

TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    S.REQUESTED: frozenset({S.GRANTED, S.DENIED}),
    S.GRANTED: frozenset({S.EXPIRED, S.REVOKED}),
    S.DENIED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REVOKED: frozenset(),
}
ACTIONS = {S.GRANTED: "grant", S.DENIED: "deny", S.EXPIRED: "expire", S.REVOKED: "revoke"}


def move(session: Session, row: AccessRequest, new: RequestState, actor: str, why: str) -> None:
    old = S(row.state)
    if new not in TRANSITIONS[old]:
        options = ", ".join(sorted(s.value for s in TRANSITIONS[old])) or "none (final)"
        raise InvalidTransition(
            f"access request {row.id}: field state: {old.value} → {new.value} is not allowed "
            f"(from {old.value}: {options})"
        )
    now = clock.now()
    row.state = new
    if new in (S.GRANTED, S.DENIED):
        row.decided_by, row.decided_at = actor, now
    if new is S.GRANTED:
        row.expires_at = now + timedelta(hours=row.hours)
    if new in (S.EXPIRED, S.REVOKED):
        row.ended_at = now
    changes: dict[str, object] = {"state": [old.value, new.value], "why": why, "user": row.user}
    if row.expires_at is not None:
        changes["expires_at"] = row.expires_at.isoformat()
    record(session, actor, Change(f"access.{ACTIONS[new]}", "access_request", str(row.id), changes))
