"""Hardening from the nodes' own CIS scans: the deploy gate's verdict, each cluster's score, and the two
goals ("≥ 80 % of clusters hardened", "100 % of new deployments").

A node's score is its latest accepted OpenSCAP scan of the configured profile: rules passed over rules
applicable (notapplicable and notselected count for neither). A cluster's score adds its nodes' counts; a
cluster is hardened at `security.hardened_share`. A scan in which no rule applied proves nothing (the
profile does not fit the OS): it neither passes the gate nor hardens a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.config import settings
from fleetops.deploy.models import NodeBringup
from fleetops.inventory.models import Cluster, Node
from fleetops.inventory.scope import visible
from fleetops.security.choices import FindingStatus, ImportOutcome, Scanner
from fleetops.security.models import SecurityFinding as F
from fleetops.security.models import SecurityImport as I


@dataclass(frozen=True)
class Verdict:
    scanned: bool
    passed: int = 0
    applicable: int = 0
    failing: list[tuple[str, str]] = field(default_factory=list)  # (rule id, title)
    import_id: int | None = None

    @property
    def hardened(self) -> bool:
        return self.scanned and self.applicable > 0 and not self.failing


def _cis() -> Any:
    return and_(
        I.scanner == Scanner.OPENSCAP,
        I.outcome == ImportOutcome.ACCEPTED,
        I.profile == settings().security.profile,
    )


def latest_scans() -> Any:
    """Each node's latest accepted CIS scan id."""
    return (
        select(I.node_id, func.max(I.id).label("import_id"))
        .where(_cis(), I.node_id.is_not(None))
        .group_by(I.node_id)
        .subquery()
    )


def verdict(session: Session, node_id: int, since: datetime | None = None) -> Verdict:
    """The node's CIS verdict from its latest scan (taken at or after `since`, when given)."""
    stmt = select(I.id, I.rules_pass, I.rules_applicable).where(_cis(), I.node_id == node_id)
    if since is not None:
        stmt = stmt.where(I.received_at >= since)
    row = session.execute(stmt.order_by(I.id.desc()).limit(1)).first()
    if row is None:
        return Verdict(scanned=False)
    failing = session.execute(
        select(F.check_id, F.title)
        .where(F.node_id == node_id, F.scanner == Scanner.OPENSCAP, F.status != FindingStatus.FIXED)
        .order_by(F.check_id)
    ).all()
    return Verdict(
        True,
        row.rules_pass or 0,
        row.rules_applicable or 0,
        [(rule, title) for rule, title in failing],
        row.id,
    )


def cluster_scores(session: Session, who: Principal) -> list[dict[str, Any]]:
    scans, share = latest_scans(), settings().security.hardened_share
    stmt = (
        select(
            Cluster.name,
            func.count(Node.id),
            func.count(I.id),
            func.sum(I.rules_pass),
            func.sum(I.rules_applicable),
        )
        .join(Node, Node.cluster_id == Cluster.id)
        .outerjoin(scans, scans.c.node_id == Node.id)
        .outerjoin(I, I.id == scans.c.import_id)
        .group_by(Cluster.name)
        .order_by(Cluster.name)
    )
    scope = visible("cluster", who)
    if scope is not None:
        stmt = stmt.where(scope)
    out = []
    for name, nodes, scanned, passed, applicable in session.execute(stmt):
        score = (passed or 0) / applicable if applicable else None
        hardened = score is not None and score >= share and scanned == nodes
        out.append(
            {
                "cluster": name,
                "nodes": nodes,
                "scanned": scanned,
                "passed": passed or 0,
                "applicable": applicable or 0,
                "score": score,
                "hardened": hardened,
            }
        )
    return out


def goals(session: Session, who: Principal, since: datetime) -> dict[str, Any]:
    """Share of clusters hardened, and of bring-ups ready since `since` that passed a CIS scan, with the
    cluster scores the first is counted from; a tenant's shares count its own clusters and nodes only."""
    clusters = cluster_scores(session, who)
    passed, ready = _new_deployments(session, who, since)
    hardened = sum(1 for c in clusters if c["hardened"])
    return {
        "clusters": clusters,
        "clusters_hardened": {
            "hardened": hardened,
            "total": len(clusters),
            "share": hardened / len(clusters) if clusters else None,
        },
        "new_deployments_hardened": {
            "hardened": passed,
            "total": ready,
            "share": passed / ready if ready else None,
        },
    }


def _new_deployments(session: Session, who: Principal, since: datetime) -> tuple[int, int]:
    """(hardened, ready) bring-ups ready since `since`, in one statement: a bring-up is hardened by the
    `verdict` the gate gives, its node's latest CIS scan since it enrolled with a rule applicable and no
    CIS finding left unfixed (a verdict per bring-up was two queries each)."""
    b = NodeBringup
    latest = (
        select(func.max(I.id))
        .where(_cis(), I.node_id == b.node_id, I.received_at >= b.enrolled_at)
        .correlate(b)
        .scalar_subquery()
    )
    applies = exists().where(I.id == latest, I.rules_applicable > 0)
    failing = exists().where(
        F.node_id == b.node_id, F.scanner == Scanner.OPENSCAP, F.status != FindingStatus.FIXED
    )
    stmt = select(func.count(), func.count().filter(and_(applies, ~failing))).where(b.ready_at >= since)
    scope = visible("node", who)
    if scope is not None:
        stmt = stmt.where(b.node_id.in_(select(Node.id).where(scope)))
    ready, passed = session.execute(stmt).one()
    return int(passed), int(ready)
