"""Supplier Technical Requirements: publish a new version, a supplier acknowledges it, and whoever has not
acknowledged the latest version is flagged on its scorecard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.errors import Conflict, InvalidInput, NotFound
from fleetops.suppliers.models import Acknowledgement, Requirement


@dataclass(frozen=True)
class Standing:
    """Where one supplier stands against the latest version: acknowledged (who, when) or flagged."""

    version: int | None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None

    @property
    def flagged(self) -> bool:
        return self.version is not None and self.acknowledged_at is None


def publish(session: Session, principal: Principal, title: str, body: str) -> Requirement:
    """A new version, numbered after the last; acknowledgements of earlier versions do not carry over."""
    principal.require_writer()
    if not title.strip() or not body.strip():
        raise InvalidInput("requirements: field title and body must not be empty")
    version = (session.scalar(select(func.max(Requirement.version))) or 0) + 1
    row = Requirement(version=version, title=title.strip(), body=body, published_by=principal.actor)
    session.add(row)
    session.flush()
    record(session, principal.actor, Change("requirements.publish", "supplier_requirement", str(version), {}))
    return row


def versions(session: Session) -> list[Requirement]:
    return list(session.scalars(select(Requirement).order_by(Requirement.version.desc())))


def get(session: Session, version: int) -> Requirement:
    row = session.scalar(select(Requirement).where(Requirement.version == version))
    if row is None:
        raise NotFound(f"requirements version {version}: no such version")
    return row


def acknowledge(session: Session, principal: Principal, version: int) -> Acknowledgement:
    """Only the supplier itself attests, and only to the latest version (an old one is already moot)."""
    principal.require(Role.SUPPLIER)
    row = get(session, version)
    latest = session.scalar(select(func.max(Requirement.version)))
    if version != latest:
        raise Conflict(f"requirements version {version}: superseded by version {latest}; acknowledge that")
    done = session.scalar(
        select(Acknowledgement).where(
            Acknowledgement.requirement_id == row.id, Acknowledgement.supplier_id == principal.supplier_id
        )
    )
    if done is not None:
        return done
    ack = Acknowledgement(
        requirement_id=row.id,
        supplier_id=principal.supplier_id,
        acknowledged_by=principal.actor,
        acknowledged_at=clock.now(),
    )
    session.add(ack)
    session.flush()
    change = Change("requirements.acknowledge", "supplier_requirement", str(version), {})
    record(session, principal.actor, change)
    return ack


def standings(session: Session, supplier_ids: list[int]) -> dict[int, Standing]:
    latest = session.scalar(select(Requirement).order_by(Requirement.version.desc()).limit(1))
    if latest is None:
        return {sid: Standing(None) for sid in supplier_ids}
    acks = {
        a.supplier_id: a
        for a in session.scalars(select(Acknowledgement).where(Acknowledgement.requirement_id == latest.id))
    }
    out = {}
    for sid in supplier_ids:
        ack = acks.get(sid)
        out[sid] = (
            Standing(latest.version, ack.acknowledged_by, ack.acknowledged_at)
            if ack
            else Standing(latest.version)
        )
    return out
