"""Access review use-cases: import the three files as one snapshot, report it against the baseline.

An import parses and checks all three files before it writes anything, in one transaction; the same
files (and policy) imported again find their snapshot by digest and change nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from fleetops.audit.service import Change, record
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.errors import NotFound
from fleetops.security.access import directory, tailscale, teleport
from fleetops.security.access.choices import FlagKind
from fleetops.security.access.directory import Person
from fleetops.security.access.flags import Flag, flag
from fleetops.security.access.models import AccessFlag, AccessReach, AccessSnapshot
from fleetops.security.access.policy import ReviewPolicy
from fleetops.security.access.reach import Reach

WRITERS = (Role.ADMIN, Role.OPERATOR, Role.SECURITY)
UNNECESSARY = (FlagKind.STANDING_PRODUCTION, FlagKind.UNKNOWN_USER)


@dataclass(frozen=True)
class Source:
    name: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True)
class Files:
    tailnet: Source
    teleport_roles: Source
    users: Source

    def digest(self, policy: ReviewPolicy) -> str:
        parts = [s.sha256 for s in (self.tailnet, self.teleport_roles, self.users)]
        return hashlib.sha256(" ".join([*parts, policy.model_dump_json()]).encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    people: dict[str, Person]
    reaches: list[Reach]
    flags: list[Flag]
    grantable: dict[str, list[str]]  # what an access request may ask for: Teleport roles, Tailscale groups

    def summary(self) -> dict[str, Any]:
        return {
            "people": len(self.people),
            "with_production": len({r.user for r in self.reaches if r.standing}),
            "may_request_production": len({r.user for r in self.reaches if not r.standing}),
            "unnecessary": sorted({f.user for f in self.flags if f.kind in UNNECESSARY}),
            "flags": dict(Counter(f.kind.value for f in self.flags)),
            "paths": len(self.reaches),
        }


def judge(files: Files, policy: ReviewPolicy) -> Verdict:
    """Parse and judge, writing nothing: the whole verdict, or an `InvalidInput` naming file and place."""
    tailnet = tailscale.parse(files.tailnet.name, files.tailnet.text)
    roles = teleport.parse(files.teleport_roles.name, files.teleport_roles.text)
    people = directory.parse(files.users.name, files.users.text, set(roles))
    reaches = tailscale.reaches(tailnet, set(people), policy)
    for person in people.values():
        reaches += teleport.reaches(person.user, list(person.teleport_roles), roles, policy)
    grantable = {"teleport": sorted(roles), "tailscale": sorted(tailnet.groups)}
    return Verdict(people, reaches, flag(reaches, people, policy), grantable)


def import_files(session: Session, who: Principal, files: Files, policy: ReviewPolicy) -> AccessSnapshot:
    who.require(*WRITERS)
    digest = files.digest(policy)
    found = session.scalar(select(AccessSnapshot).where(AccessSnapshot.digest == digest))
    if found is not None:
        return found
    verdict = judge(files, policy)
    snapshot = AccessSnapshot(
        digest=digest,
        taken_by=who.actor,
        sources={
            "files": {s.name: s.sha256 for s in (files.tailnet, files.teleport_roles, files.users)},
            "policy": policy.model_dump(),
            "grantable": verdict.grantable,
        },
        summary=verdict.summary(),
    )
    session.add(snapshot)
    session.flush()
    _store(session, snapshot.id, verdict)
    record(session, who.actor, Change("access.import", "access_snapshot", str(snapshot.id), snapshot.summary))
    return snapshot


def _store(session: Session, snapshot_id: int, verdict: Verdict) -> None:
    def role(user: str) -> str | None:
        return verdict.people[user].role if user in verdict.people else None

    reaches = [{"snapshot_id": snapshot_id, "role": role(r.user), **asdict(r)} for r in verdict.reaches]
    if reaches:
        session.execute(insert(AccessReach), reaches)
    flags = [{"snapshot_id": snapshot_id, **asdict(f)} for f in verdict.flags]
    if flags:
        session.execute(insert(AccessFlag), flags)


def snapshot(session: Session, who: Principal, snapshot_id: int | None = None) -> AccessSnapshot:
    """One snapshot, or the latest one when no id is given."""
    who.require_staff()
    stmt = select(AccessSnapshot).order_by(AccessSnapshot.id.desc()).limit(1)
    if snapshot_id is not None:
        stmt = select(AccessSnapshot).where(AccessSnapshot.id == snapshot_id)
    found = session.scalar(stmt)
    if found is None:
        what = f"access snapshot {snapshot_id}" if snapshot_id else "any access snapshot (import one first)"
        raise NotFound(f"no {what}")
    return found


def baseline(session: Session) -> AccessSnapshot | None:
    return session.scalar(select(AccessSnapshot).where(AccessSnapshot.baseline.is_(True)))


def set_baseline(session: Session, who: Principal, snapshot_id: int) -> AccessSnapshot:
    """The snapshot later ones are measured against; one at a time."""
    who.require(*WRITERS)
    chosen = snapshot(session, who, snapshot_id)
    previous = baseline(session)
    session.execute(update(AccessSnapshot).values(baseline=False))
    chosen.baseline = True
    change = {"baseline": [previous.id if previous else None, chosen.id]}
    record(session, who.actor, Change("access.baseline", "access_snapshot", str(chosen.id), change))
    return chosen


def reduction(current: AccessSnapshot, base: AccessSnapshot | None) -> dict[str, Any]:
    """Unnecessary production access now against the baseline: who is gone, who is new, the share removed."""
    if base is None:
        return {"baseline_id": None}
    before, now = set(base.summary["unnecessary"]), set(current.summary["unnecessary"])
    flags_before, flags_now = sum(base.summary["flags"].values()), sum(current.summary["flags"].values())
    return {
        "baseline_id": base.id,
        "unnecessary_before": len(before),
        "unnecessary_now": len(now),
        "removed": sorted(before - now),
        "added": sorted(now - before),
        "reduction_pct": round(100 * (len(before) - len(now)) / len(before), 1) if before else None,
        "flags_before": flags_before,
        "flags_now": flags_now,
    }


def report(session: Session, who: Principal, snapshot_id: int | None = None) -> dict[str, Any]:
    current = snapshot(session, who, snapshot_id)
    reaches = session.scalars(
        select(AccessReach).where(AccessReach.snapshot_id == current.id).order_by(AccessReach.id)
    ).all()
    flags = session.scalars(
        select(AccessFlag).where(AccessFlag.snapshot_id == current.id).order_by(AccessFlag.id)
    ).all()
    return {
        "snapshot": current,
        "reaches": reaches,
        "flags": flags,
        "reduction": reduction(current, baseline(session)),
    }
