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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.db import bulk
from fleetops.db.session import Database, sqlite_write_lock
from fleetops.errors import Forbidden, InvalidInput, NotFound
from fleetops.inventory.kinds import KINDS
from fleetops.inventory.service import find, scoped_view
from fleetops.security import freshness, software
from fleetops.security.choices import AssetKind, Component, ImportOutcome, Scanner
from fleetops.security.importers import PARSERS
from fleetops.security.models import SecurityImport
from fleetops.security.parsed import ImportRefused, Report
from fleetops.security.reconcile import Asset, Changes, Scan, plan, write

IMPORTERS = (Role.ADMIN, Role.OPERATOR, Role.AGENT)
MAX_BATCH_FILES = 64


@dataclass(frozen=True)
class Offered:
    """A scanner file as sent: which scanner wrote it, its name (for messages), and what it describes.
    `named` is the host its file name gives (`a000.json` in a directory), used only when neither the
    caller nor the file names one."""

    scanner: Scanner
    filename: str
    data: bytes
    host: str | None = None
    cluster: str | None = None
    named: str | None = None


@dataclass
class _File:
    """One offered file on its way through a batch: parsed, placed, then stored, unchanged or refused."""

    offered: Offered
    report: Report | None = None
    asset: Asset | None = None
    digest: str = ""
    refusal: ImportRefused | None = None
    answer: dict[str, Any] | None = None


def import_file(database: Database, who: Principal, offered: Offered) -> dict[str, Any]:
    """Store one file's findings, or record why it was refused and raise that refusal."""
    done = _import(database, who, [offered])[0]
    if done.refusal is not None:
        raise done.refusal
    assert done.answer is not None
    return done.answer


def import_files(database: Database, who: Principal, offered: list[Offered]) -> list[dict[str, Any]]:
    """Several files in one transaction (a directory of a day's scans): each file's answer in order, a
    refused one with its reason. A refused file stores nothing but its refusal; the others go on."""
    if len(offered) > MAX_BATCH_FILES:
        raise InvalidInput(f"files: {len(offered)} in one import, over the limit of {MAX_BATCH_FILES}")
    return [
        {"file": done.offered.filename, **(done.answer or _refused(done))}
        for done in _import(database, who, offered)
    ]


def _refused(done: _File) -> dict[str, Any]:
    return {"outcome": ImportOutcome.REJECTED.value, "detail": done.refusal.message if done.refusal else ""}


def _import(database: Database, who: Principal, offered: list[Offered]) -> list[_File]:
    who.require(*IMPORTERS)
    files = [_parse(o) for o in offered]  # parsing needs no database: outside the transaction
    with database.transaction() as session:
        placed = _place(session, who, files)
        sqlite_write_lock(session.connection())
        for batch in _distinct(placed):
            _store(session, who, batch)
        refused = [f for f in files if f.refusal is not None]
        session.add_all(
            _row(who, f.offered, ImportOutcome.REJECTED, detail=f.refusal.message)
            for f in refused
            if f.refusal
        )
    return files


def _parse(offered: Offered) -> _File:
    parser = PARSERS.get(offered.scanner)  # the freshness scanner is fleetops' own: it writes no files
    try:
        if parser is None:
            raise ImportRefused(offered.filename, "", f"scanner {offered.scanner.value}: writes no files")
        return _File(offered, report=parser(offered.data, offered.filename))
    except ImportRefused as refusal:
        return _File(offered, refusal=refusal)


def _place(session: Session, who: Principal, files: list[_File]) -> list[_File]:
    """Each parsed file's asset; an unknown host or cluster refuses that file alone."""
    hosts = {_hostname(session, who, f)[0] for f in files if f.report is not None}
    nodes = dict(node_ids(session, who, {h for h in hosts if h}))
    placed = []
    for f in files:
        if f.report is None:
            continue
        try:
            f.asset = _asset(session, who, f, nodes)
        except ImportRefused as refusal:
            f.refusal = refusal
            continue
        f.digest = hashlib.sha256(f.offered.data).hexdigest()
        placed.append(f)
    return placed


def node_ids(session: Session, who: Principal, hostnames: set[str]) -> list[tuple[str, int]]:
    """(hostname, id) of the named nodes the caller may see, in one read of inventory's scoped view."""
    view = scoped_view(KINDS["node"], who).subquery()
    found = []
    for chunk in bulk.chunks(sorted(hostnames)):
        found += [
            (h, int(i))
            for h, i in session.execute(select(view.c.hostname, view.c.id).where(view.c.hostname.in_(chunk)))
        ]
    return found


def _distinct(files: list[_File]) -> list[list[_File]]:
    """Consecutive runs in which no asset and scanner come twice: a second scan of one asset in a batch
    is reconciled against the first, as if sent after it."""
    runs: list[list[_File]] = [[]]
    seen: set[tuple[Any, ...]] = set()
    for f in files:
        assert f.asset is not None
        key = (f.asset.kind, f.asset.name, f.offered.scanner)
        if key in seen:
            runs.append([])
            seen = set()
        seen.add(key)
        runs[-1].append(f)
    return [run for run in runs if run]


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


def _store(session: Session, who: Principal, files: list[_File]) -> None:
    last = _last_digests(session, files)
    fresh = []
    for f in files:
        assert f.asset is not None
        key = (f.asset.kind, f.asset.name, f.offered.scanner)
        if key in last and last[key][1] == f.digest:
            f.answer = {
                "outcome": ImportOutcome.UNCHANGED.value,
                "import_id": last[key][0],
                "asset": f.asset.name,
            }
        else:
            fresh.append(f)
    planned = plan(
        session, [Scan(f.asset, f.offered.scanner, f.report.items) for f in fresh if f.asset and f.report]
    )
    rows = [
        _row(
            who,
            f.offered,
            ImportOutcome.ACCEPTED,
            digest=f.digest,
            asset=f.asset,
            report=f.report,
            changes=p.changes,
        )
        for f, p in zip(fresh, planned, strict=True)
    ]
    session.add_all(rows)
    session.flush()
    write(session, planned, [row.id for row in rows])
    for f, row in zip(fresh, rows, strict=True):
        f.answer = {
            "outcome": row.outcome.value,
            "import_id": row.id,
            "asset": row.asset,
            "asset_kind": row.asset_kind.value if row.asset_kind else None,
            "findings": row.findings,
            "opened": row.opened,
            "closed": row.closed,
            "reopened": row.reopened,
        }
    nodes = [(f, row) for f, row in zip(fresh, rows, strict=True) if row.node_id is not None]
    freshness.scanned(session, [row.node_id for _, row in nodes if row.node_id is not None])
    kernels = [
        software.Version(row.node_id, Component.KERNEL, software.KERNEL, f.report.kernel, "lynis")
        for f, row in nodes
        if f.report and f.report.kernel and row.node_id is not None
    ]
    software.observe(session, kernels, clock.now())


def _last_digests(session: Session, files: list[_File]) -> dict[tuple[Any, ...], tuple[int, str | None]]:
    """The latest accepted import of each file's asset and scanner: its id and digest."""
    names = sorted({f.asset.name for f in files if f.asset})
    latest = (
        select(func.max(SecurityImport.id))
        .where(
            SecurityImport.outcome == ImportOutcome.ACCEPTED,
            SecurityImport.scanner.in_({f.offered.scanner for f in files}),
            SecurityImport.asset.in_(names),
        )
        .group_by(SecurityImport.asset_kind, SecurityImport.asset, SecurityImport.scanner)
    )
    rows = session.execute(
        select(
            SecurityImport.asset_kind,
            SecurityImport.asset,
            SecurityImport.scanner,
            SecurityImport.id,
            SecurityImport.digest,
        ).where(SecurityImport.id.in_(latest))
    )
    return {(kind, asset, scanner): (import_id, digest) for kind, asset, scanner, import_id, digest in rows}


def _hostname(session: Session, who: Principal, f: _File) -> tuple[str | None, str]:
    """The node a file describes and where that was said: the caller's host (an agent: its own), else the
    host the file names, else its file name's."""
    assert f.report is not None
    if who.role is Role.AGENT:
        return _own_host(session, who, f.offered.host), "host (parameter)"
    if f.offered.host:
        return f.offered.host, "host (parameter)"
    if f.report.host:
        return f.report.host, f.report.host_where
    return f.offered.named, "file name"


def _asset(session: Session, who: Principal, f: _File, nodes: dict[str, int]) -> Asset:
    offered, report = f.offered, f.report
    assert report is not None
    cluster_id = _cluster_id(session, who, offered) if offered.cluster else None
    if report.image:
        return Asset(AssetKind.IMAGE, report.image, cluster_id=cluster_id)
    if offered.scanner is Scanner.KUBE_BENCH and offered.cluster and not offered.host:
        return Asset(AssetKind.CLUSTER, offered.cluster, cluster_id=cluster_id)
    hostname, where = _hostname(session, who, f)
    if not hostname:
        raise ImportRefused(
            offered.filename, report.host_where or "/", "names no host: give the node's hostname"
        )
    if hostname not in nodes:
        raise ImportRefused(offered.filename, where, f"unknown host {hostname!r}")
    return Asset(AssetKind.NODE, hostname, node_id=nodes[hostname])


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
    changes: Changes | None = None,
) -> SecurityImport:
    counts = changes or Changes()
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
        opened=counts.opened,
        closed=counts.closed,
        reopened=counts.reopened,
    )
