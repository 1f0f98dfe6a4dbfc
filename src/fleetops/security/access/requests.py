"""Access requests: production access for a while, asked for, granted by someone else, then gone.

A grant is never standing: it ends by itself (`expire_due`, a worker task) at the time fixed when it
was granted. Every step is an audit row naming who, when, from, to and why (`fsm.move`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.db.session import Database
from fleetops.errors import Forbidden, InvalidInput, NotFound
from fleetops.security.access import fsm, service
from fleetops.security.access.choices import RequestState
from fleetops.security.access.models import AccessRequest

APPROVERS = (Role.ADMIN, Role.SECURITY)
EXPIRY_ACTOR = "system:access-expiry"
S = RequestState


def request(
    session: Session, who: Principal, user: str, system: str, access: str, reason: str, hours: float
) -> AccessRequest:
    """File a request for `user`; `access` must be a Teleport role or Tailscale group of the latest import."""
    who.require_staff()
    grantable = service.snapshot(session, who).sources["grantable"]
    if system not in grantable:
        raise InvalidInput(f"access request: field system: {system!r} is not one of {sorted(grantable)}")
    if access not in grantable[system]:
        raise InvalidInput(f"access request: field access: {system} has no {access!r} in the latest import")
    row = AccessRequest(
        user=user.lower(), system=system, access=access, reason=reason, hours=hours, requested_by=who.actor
    )
    session.add(row)
    session.flush()
    changes = {"state": [None, S.REQUESTED.value], "user": row.user, "access": access, "hours": hours}
    record(
        session, who.actor, Change("access.request", "access_request", str(row.id), changes | {"why": reason})
    )
    return row


def get(session: Session, who: Principal, request_id: int) -> AccessRequest:
    who.require_staff()
    row = session.get(AccessRequest, request_id)
    if row is None:
        raise NotFound(f"no access request {request_id}")
    return row


def listed(session: Session, who: Principal, state: RequestState | None = None) -> Sequence[AccessRequest]:
    who.require_staff()
    stmt = select(AccessRequest).order_by(AccessRequest.id.desc())
    if state is not None:
        stmt = stmt.where(AccessRequest.state == state)
    return session.scalars(stmt).all()


def decide(session: Session, who: Principal, request_id: int, grant: bool, why: str) -> AccessRequest:
    """Grant or deny; never by the one who asked, nor by the person the access is for."""
    who.require(*APPROVERS)
    row = get(session, who, request_id)
    if who.actor == row.requested_by or who.name.lower() == row.user:
        raise Forbidden(
            f"access request {row.id}: {who.actor} asked for it or would hold it; someone else decides"
        )
    fsm.move(session, row, S.GRANTED if grant else S.DENIED, who.actor, why)
    return row


def revoke(session: Session, who: Principal, request_id: int, why: str) -> AccessRequest:
    who.require(*APPROVERS)
    row = get(session, who, request_id)
    fsm.move(session, row, S.REVOKED, who.actor, why)
    return row


def expire_due(database: Database) -> int:
    """End every grant whose time is up; the worker runs this each minute."""
    with database.transaction() as session:
        due = session.scalars(
            select(AccessRequest).where(
                AccessRequest.state == S.GRANTED, AccessRequest.expires_at <= clock.now()
            )
        ).all()
        for row in due:
            fsm.move(session, row, S.EXPIRED, EXPIRY_ACTOR, f"granted for {row.hours:g} h")
        return len(due)


def active(session: Session, user: str) -> Sequence[AccessRequest]:
    """The grants `user` holds now (granted and not yet past their end)."""
    return session.scalars(
        select(AccessRequest).where(
            AccessRequest.user == user.lower(),
            AccessRequest.state == S.GRANTED,
            AccessRequest.expires_at > clock.now(),
        )
    ).all()
