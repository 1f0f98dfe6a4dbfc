"""Importing a scanner file: parse, find the asset it describes, reconcile its findings, all in one
transaction; a refusal is a row of its own (written in a second transaction) and stores nothing else.

The asset is the node the caller names (an agent: always its own node), else the host the file names
(XCCDF `target`, Lynis `hostname`); a Trivy image report describes the image; a kube-bench report given
a cluster and no host describes the cluster. The same bytes offered again for the same asset and scanner
change nothing: the answer points at the import that already holds them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.db.session import Database, sqlite_write_lock
from fleetops.errors import Forbidden, NotFound
from fleetops.inventory.kinds import KINDS
from fleetops.inventory.service import find
from fleetops.security import freshness, software
from fleetops.security.choices import AssetKind, Component, ImportOutcome, Scanner
from fleetops.security.importers import PARSERS
from fleetops.security.models import SecurityImport
from fleetops.security.parsed import ImportRefused, Report
from fleetops.security.reconcile import Asset, reconcile

IMPORTERS = (Role.ADMIN, Role.OPERATOR, Role.AGENT)


@dataclass(frozen=True)
class Offered:
    """A scanner file as sent: which scanner wrote it, its name (for messages), and what it describes."""

    scanner: Scanner
    filename: str
    data: bytes
    host: str | None = None
    cluster: str | None = None


def import_file(database: Database, who: Principal, offered: Offered) -> dict[str, Any]:
    """Store one file's findings, or record why it was refused and raise that refusal."""
    who.require(*IMPORTERS)
    try:
        with database.transaction() as session:
            return _store(session, who, offered)
    except ImportRefused as refusal:
        with database.transaction() as session:
            session.add(_row(who, offered, ImportOutcome.REJECTED, detail=refusal.message))
        raise


def record_absence(
    database: Database, who: Principal, scanner: Scanner, detail: str, host: str | None = None
) -> dict[str, Any]:
    """A scanner the agent could not run (not installed, or failed): kept as such, never as a clean scan,
    so the node's freshness does not improve and the hardening gate keeps waiting."""
    who.require(*IMPORTERS)
    offered = Offered(scanner, f"{scanner.value} (not run)", b"", host)
    with database.transaction() as session:
        hostname = _own_host(session, who, host) if who.role is Role.AGENT else host
        node = find(session, who, KINDS["node"], hostname or "")
        row = _row(who, offered, ImportOutcome.ABSENT, detail=detail[:2000])
        row.asset_kind, row.asset, row.node_id = AssetKind.NODE, node["hostname"], node["id"]
        session.add(row)
        session.flush()
        return {"outcome": row.outcome.value, "import_id": row.id, "asset": row.asset}


def _own_host(session: Session, who: Principal, host: str | None) -> str:
    own = str(find(session, who, KINDS["node"], str(who.node_id))["hostname"])
    if host not in (None, own):
        raise Forbidden(f"node agent {who.name} may import only its own node's scans, not {host}")
    return own


def _store(session: Session, who: Principal, offered: Offered) -> dict[str, Any]:
    report = PARSERS[offered.scanner](offered.data, offered.filename)
    asset = _asset(session, who, offered, report)
    digest = hashlib.sha256(offered.data).hexdigest()
    sqlite_write_lock(session.connection())
    last = session.execute(
        select(SecurityImport.id, SecurityImport.digest)
        .where(
            SecurityImport.asset_kind == asset.kind,
            SecurityImport.asset == asset.name,
            SecurityImport.scanner == offered.scanner,
            SecurityImport.outcome == ImportOutcome.ACCEPTED,
        )
        .order_by(SecurityImport.id.desc())
        .limit(1)
    ).first()
    if last is not None and last.digest == digest:
        return {"outcome": ImportOutcome.UNCHANGED.value, "import_id": last.id, "asset": asset.name}
    row = _row(who, offered, ImportOutcome.ACCEPTED, digest=digest, asset=asset, report=report)
    session.add(row)
    session.flush()
    changes = reconcile(session, asset, offered.scanner, report.items, row.id)
    row.opened, row.closed, row.reopened = changes.opened, changes.closed, changes.reopened
    if asset.node_id is not None:
        freshness.scanned(session, asset.node_id)
        if report.kernel:
            seen = software.Version(asset.node_id, Component.KERNEL, software.KERNEL, report.kernel, "lynis")
            software.observe(session, [seen], row.received_at)
    return {
        "outcome": row.outcome.value,
        "import_id": row.id,
        "asset": asset.name,
        "asset_kind": asset.kind.value,
        "findings": row.findings,
        "opened": changes.opened,
        "closed": changes.closed,
        "reopened": changes.reopened,
    }


def _asset(session: Session, who: Principal, offered: Offered, report: Report) -> Asset:
    cluster_id = _cluster_id(session, who, offered) if offered.cluster else None
    if report.image:
        return Asset(AssetKind.IMAGE, report.image, cluster_id=cluster_id)
    if offered.scanner is Scanner.KUBE_BENCH and offered.cluster and not offered.host:
        return Asset(AssetKind.CLUSTER, offered.cluster, cluster_id=cluster_id)
    hostname, where = offered.host, "host (parameter)"
    if who.role is Role.AGENT:
        hostname = _own_host(session, who, hostname)
    if hostname is None:
        hostname, where = report.host, report.host_where
    if not hostname:
        raise ImportRefused(
            offered.filename, report.host_where or "/", "names no host: give the node's hostname"
        )
    try:
        node = find(session, who, KINDS["node"], hostname)
    except NotFound:
        raise ImportRefused(offered.filename, where, f"unknown host {hostname!r}") from None
    return Asset(AssetKind.NODE, node["hostname"], node_id=node["id"])


def _cluster_id(session: Session, who: Principal, offered: Offered) -> int:
    try:
        return int(find(session, who, KINDS["cluster"], offered.cluster or "")["id"])
    except NotFound:
        raise ImportRefused(
            offered.filename, "cluster (parameter)", f"unknown cluster {offered.cluster!r}"
        ) from None


def _row(
    who: Principal,
    offered: Offered,
    outcome: ImportOutcome,
    *,
    detail: str = "",
    digest: str | None = None,
    asset: Asset | None = None,
    report: Report | None = None,
) -> SecurityImport:
    return SecurityImport(
        received_at=clock.now(),
        actor=who.actor,
        scanner=offered.scanner,
        filename=offered.filename[:300],
        outcome=outcome,
        detail=detail,
        digest=digest,
        asset_kind=asset.kind if asset else None,
        asset=asset.name if asset else (offered.host or offered.cluster),
        node_id=asset.node_id if asset else None,
        cluster_id=asset.cluster_id if asset else None,
        profile=report.profile if report else None,
        rules_pass=report.rules_pass if report else None,
        rules_applicable=report.rules_applicable if report else None,
        findings=len(report.items) if report else 0,
        opened=0,
        closed=0,
        reopened=0,
    )
