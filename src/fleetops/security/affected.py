"""Which nodes does this bulletin affect: the embargo impact assessment, from what fleetops already knows.

A bulletin names a CVE (nodes with a finding of it that is not fixed), a package and a version range
(nodes whose scanner-reported installed version falls in it), or a component (kernel, GPU driver, VBIOS,
BMC, BIOS, other firmware; optionally one named entry) and a range over the software inventory. Conditions
given together must all hold. A node the sources have never described is not "unaffected": it is listed
as unknown (no Trivy scan for a CVE or package; no inventory row for a component), so the assessment says
what it could not see. Embargoed bulletins are internal: staff only.

Package versions come from Trivy findings (`installed_version`): Trivy reports the packages that have a
vulnerability, so a package with none on a node is unknown there, never "not installed".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.errors import InvalidInput
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Cluster, Node
from fleetops.security.choices import AssetKind, Component, FindingStatus, ImportOutcome, Scanner
from fleetops.security.models import NodeSoftware as S
from fleetops.security.models import SecurityFinding as F
from fleetops.security.models import SecurityImport as I
from fleetops.security.versions import VersionRange

RETIRED = (NodeState.DECOMMISSIONED,)


@dataclass(frozen=True)
class Bulletin:
    cve: str | None = None
    package: str | None = None
    component: Component | None = None
    name: str | None = None  # one entry of the component (a firmware inventory Id), else all of them
    versions: str = ""  # the affected range, e.g. ">=3.0.0,<3.0.13-1~deb12u1"; "" = any version
    scheme: str | None = None  # version order: debian (packages), hex (VBIOS), dotted (other components)
    cluster: str | None = None

    def range(self) -> VersionRange:
        default = "debian" if self.package else "hex" if self.component is Component.VBIOS else "dotted"
        return VersionRange.parse(self.versions, self.scheme or default)


def assess(session: Session, who: Principal, bulletin: Bulletin) -> dict[str, Any]:
    who.require_staff()
    if not (bulletin.cve or bulletin.package or bulletin.component):
        raise InvalidInput("bulletin: give a cve, a package or a component")
    if bulletin.name and not bulletin.component:
        raise InvalidInput("field name: names an entry of a component; give the component too")
    versions = bulletin.range()
    nodes = _nodes(session, bulletin.cluster)
    matched: list[set[int]] = []
    reasons: dict[int, list[dict[str, Any]]] = {}
    unknown: set[int] = set()
    other_assets: list[dict[str, Any]] = []
    if bulletin.cve or bulletin.package:
        hits, assets = _findings(session, bulletin, versions)
        matched.append(set(hits))
        other_assets = assets
        for node_id, why in hits.items():
            reasons.setdefault(node_id, []).extend(why)
        unknown |= set(nodes) - _scanned(session, Scanner.TRIVY) - set(hits)
    if bulletin.component:
        hits, described = _components(session, bulletin, versions)
        matched.append(set(hits))
        for node_id, why in hits.items():
            reasons.setdefault(node_id, []).extend(why)
        unknown |= set(nodes) - described
    affected = set(nodes).intersection(*matched)
    unknown -= affected
    return {
        "bulletin": {k: v for k, v in vars(bulletin).items() if v} | {"range": str(versions)},
        "nodes_considered": len(nodes),
        "affected_count": len(affected),
        "affected": [
            nodes[n] | {"why": reasons[n]} for n in sorted(affected, key=lambda n: nodes[n]["hostname"])
        ],
        "unknown_count": len(unknown),
        "unknown": sorted(nodes[n]["hostname"] for n in unknown),
        "other_assets": other_assets,
    }


def _nodes(session: Session, cluster: str | None) -> dict[int, dict[str, Any]]:
    stmt = (
        select(Node.id, Node.hostname, Node.state, Cluster.name)
        .outerjoin(Cluster, Cluster.id == Node.cluster_id)
        .where(Node.state.not_in(RETIRED))
    )
    if cluster:
        stmt = stmt.where(Cluster.name == cluster)
    return {
        node_id: {"hostname": hostname, "state": state.value, "cluster": cluster_name}
        for node_id, hostname, state, cluster_name in session.execute(stmt)
    }


def _findings(
    session: Session, bulletin: Bulletin, versions: VersionRange
) -> tuple[dict[int, list[dict[str, Any]]], list[dict[str, Any]]]:
    stmt = select(F.node_id, F.asset_kind, F.asset, F.check_id, F.package, F.installed_version).where(
        F.status != FindingStatus.FIXED
    )
    if bulletin.cve:
        stmt = stmt.where(F.check_id == bulletin.cve)
    if bulletin.package:
        stmt = stmt.where(F.package == bulletin.package)
    hits: dict[int, list[dict[str, Any]]] = {}
    assets: dict[tuple[str, str], dict[str, Any]] = {}
    for node_id, kind, asset, check, package, installed in session.execute(stmt):
        if bulletin.package and installed not in versions:
            continue
        why = {"by": "finding", "check": check, "package": package, "installed_version": installed}
        if kind is AssetKind.NODE and node_id is not None:
            if why not in hits.setdefault(node_id, []):
                hits[node_id].append(why)
        else:
            assets.setdefault((kind.value, asset), {"asset_kind": kind.value, "asset": asset} | why)
    return hits, list(assets.values())


def _scanned(session: Session, scanner: Scanner) -> set[int]:
    stmt = select(I.node_id).where(I.scanner == scanner, I.outcome == ImportOutcome.ACCEPTED).distinct()
    return {node_id for (node_id,) in session.execute(stmt) if node_id is not None}


def _components(
    session: Session, bulletin: Bulletin, versions: VersionRange
) -> tuple[dict[int, list[dict[str, Any]]], set[int]]:
    assert bulletin.component is not None
    stmt = select(S.node_id, S.name, S.version, S.checked_at).where(S.component == bulletin.component.value)
    if bulletin.name:
        stmt = stmt.where(S.name == bulletin.name)
    hits: dict[int, list[dict[str, Any]]] = {}
    described: set[int] = set()
    for node_id, name, version, checked_at in session.execute(stmt):
        described.add(node_id)
        if version in versions:
            why = {"by": bulletin.component.value, "name": name, "version": version, "checked_at": checked_at}
            hits.setdefault(node_id, []).append(why)
    return hits, described
