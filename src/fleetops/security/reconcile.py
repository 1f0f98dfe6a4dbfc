"""A scan's findings against what the same scanner last said of the same asset, in set-based statements.

New keys open (due by severity), keys that came back reopen with a new clock, keys that vanished are
fixed (an accepted one too: the risk is gone). A key still present keeps its row untouched, so
importing the same findings again writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.db import bulk
from fleetops.security import sla
from fleetops.security.choices import AssetKind, FindingStatus, Scanner
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


def reconcile(
    session: Session,
    asset: Asset,
    scanner: Scanner,
    items: dict[tuple[str, str], Item],
    import_id: int | None,
) -> Changes:
    now, changes = clock.now(), Changes()
    rows = session.execute(
        select(F.id, F.check_id, F.package, F.status).where(
            F.asset_kind == asset.kind, F.asset == asset.name, F.scanner == scanner
        )
    ).all()
    known = {(check, package): (finding_id, status) for finding_id, check, package, status in rows}
    gone = [fid for key, (fid, status) in known.items() if key not in items and status != FindingStatus.FIXED]
    back: dict[Any, list[int]] = defaultdict(list)
    for key, (fid, status) in known.items():
        if key in items and status == FindingStatus.FIXED:
            back[items[key].severity].append(fid)
    new = [
        finding_row(asset, scanner, item, now, import_id) for key, item in items.items() if key not in known
    ]
    bulk.insert(session.connection(), TABLE, new, keys=KEY)
    for chunk in bulk.chunks(gone):
        session.execute(
            update(F)
            .where(F.id.in_(chunk))
            .values(status=FindingStatus.FIXED, fixed_at=now, import_id=import_id)
        )
    for severity, ids in back.items():
        for chunk in bulk.chunks(ids):
            values = {"status": FindingStatus.OPEN, "opened_at": now, "due_at": sla.due(now, severity)}
            reopened = {"fixed_at": None, "reopened": F.reopened + 1, "import_id": import_id}
            session.execute(update(F).where(F.id.in_(chunk)).values(**values, **reopened))
    changes.opened, changes.closed = len(new), len(gone)
    changes.reopened = sum(len(ids) for ids in back.values())
    return changes


def finding_row(
    asset: Asset, scanner: Scanner, item: Item, now: datetime, import_id: int | None
) -> dict[str, Any]:
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
        "due_at": sla.due(now, item.severity),
        "fixed_at": None,
        "reopened": 0,
        "accepted_until": None,
        "accepted_reason": None,
        "accepted_by": None,
        "import_id": import_id,
    }
