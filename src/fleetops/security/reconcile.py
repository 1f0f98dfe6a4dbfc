"""Scans' findings against what the same scanner last said of the same assets, in set-based statements.

New keys open (due by severity), keys that came back reopen with a new clock, keys that vanished are
fixed (an accepted one too: the risk is gone). A key still present keeps its row untouched, so
importing the same findings again writes nothing. Several scans (one per asset) are reconciled together:
one read of the assets' findings (`plan`), then, once their imports are logged with the counts, one
insert of every new row and one update per import that fixes or reopens something (`write`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.db import bulk
from fleetops.security import sla
from fleetops.security.choices import AssetKind, FindingStatus, Scanner, Severity
from fleetops.security.models import SecurityFinding as F
from fleetops.security.parsed import Item

TABLE = cast(Table, F.__table__)
KEY = ("asset_kind", "asset", "scanner", "check_id", "package")  # a finding's natural key


@dataclass(frozen=True)
class Asset:
    kind: AssetKind
    name: str
    node_id: int | None = None
    cluster_id: int | None = None


@dataclass
class Changes:
    opened: int = 0
    closed: int = 0
    reopened: int = 0


@dataclass(frozen=True)
class Scan:
    """One accepted file's findings for one asset."""

    asset: Asset
    scanner: Scanner
    items: dict[tuple[str, str], Item]


Known = dict[tuple[str, str], tuple[int, FindingStatus]]


@dataclass
class Planned:
    """What one scan changes, worked out before anything is written, so that its imports-log row is
    written once with its counts and `write` then applies the changes under that row's id."""

    scan: Scan
    gone: list[int]  # finding ids to fix
    back: dict[Severity, list[int]]  # finding ids to reopen, by severity (their new due date)
    added: list[Item]

    @property
    def changes(self) -> Changes:
        return Changes(len(self.added), len(self.gone), sum(len(ids) for ids in self.back.values()))


def plan(session: Session, scans: list[Scan]) -> list[Planned]:
    """Each scan's changes, in order; the scans' (asset, scanner) pairs must be distinct."""
    known = _known(session, scans)
    out = []
    for scan in scans:
        before = known.get((scan.asset.kind, scan.asset.name, scan.scanner), {})
        gone = [
            fid
            for key, (fid, status) in before.items()
            if key not in scan.items and status != FindingStatus.FIXED
        ]
        back: dict[Severity, list[int]] = defaultdict(list)
        for key, (fid, status) in before.items():
            if key in scan.items and status == FindingStatus.FIXED:
                back[scan.items[key].severity].append(fid)
        added = [item for key, item in scan.items.items() if key not in before]
        out.append(Planned(scan, gone, back, added))
    return out


def write(session: Session, planned: list[Planned], import_ids: list[int | None]) -> None:
    """Apply the planned changes, each under its import's id: one insert of every new finding, one
    update per import that fixes or reopens something."""
    now = clock.now()
    dues = {severity: sla.due(now, severity) for severity in Severity}  # once, not per row (13 % of it)
    new: list[dict[str, Any]] = []
    for change, import_id in zip(planned, import_ids, strict=True):
        scan = change.scan
        new += [
            finding_row(scan.asset, scan.scanner, item, now, import_id, dues[item.severity])
            for item in change.added
        ]
        _fix(session, change.gone, now, import_id)
        for severity, ids in change.back.items():
            _reopen(session, ids, now, severity, import_id)
    bulk.insert(session.connection(), TABLE, new, keys=KEY)


def _known(session: Session, scans: list[Scan]) -> dict[tuple[AssetKind, str, Scanner], Known]:
    """Every finding, fixed ones included (to reopen them), of the scans' assets: one read per kind and
    scanner (a directory of one scanner's files is one)."""
    groups: dict[tuple[AssetKind, Scanner], list[str]] = defaultdict(list)
    for scan in scans:
        groups[scan.asset.kind, scan.scanner].append(scan.asset.name)
    known: dict[tuple[AssetKind, str, Scanner], Known] = defaultdict(dict)
    for (kind, scanner), names in groups.items():
        for chunk in bulk.chunks(names):
            for fid, asset, check, package, status in _findings_of(kind, scanner).execute(
                session.connection(), chunk
            ):
                known[kind, asset, scanner][check, package] = (fid, status)
    return known


@cache
def _findings_of(kind: AssetKind, scanner: Scanner) -> bulk.Each:
    """The read of `_known`, one per kind and scanner, probing the findings' key index once per asset."""
    return bulk.Each(
        select(F.id, F.asset, F.check_id, F.package, F.status).where(
            F.asset_kind == kind, F.scanner == scanner
        ),
        F.asset,
    )


def _fix(session: Session, ids: list[int], now: datetime, import_id: int | None) -> None:
    for chunk in bulk.chunks(ids):
        session.execute(
            update(F)
            .where(F.id.in_(chunk))
            .values(status=FindingStatus.FIXED, fixed_at=now, import_id=import_id)
        )


def _reopen(session: Session, ids: list[int], now: datetime, severity: Any, import_id: int | None) -> None:
    for chunk in bulk.chunks(ids):
        values = {"status": FindingStatus.OPEN, "opened_at": now, "due_at": sla.due(now, severity)}
        reopened = {"fixed_at": None, "reopened": F.reopened + 1, "import_id": import_id}
        session.execute(update(F).where(F.id.in_(chunk)).values(**values, **reopened))


def finding_row(
    asset: Asset,
    scanner: Scanner,
    item: Item,
    now: datetime,
    import_id: int | None,
    due_at: datetime | None = None,
) -> dict[str, Any]:
    """A new finding's row. The columns that start empty (fixed, accepted) are left out: fewer values
    to bind on the hot path, and the database writes them NULL all the same."""
    return {
        "asset_kind": asset.kind.value,
        "asset": asset.name,
        "scanner": scanner.value,
        "check_id": item.check_id,
        "package": item.package,
        "node_id": asset.node_id,
        "cluster_id": asset.cluster_id,
        "title": item.title,
        "severity": item.severity.value,
        "status": FindingStatus.OPEN.value,
        "installed_version": item.installed_version,
        "fixed_version": item.fixed_version,
        "first_seen": now,
        "opened_at": now,
        "due_at": due_at or sla.due(now, item.severity),
        "reopened": 0,
        "import_id": import_id,
    }
