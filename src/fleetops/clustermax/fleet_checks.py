"""Readiness items read from the health records: passive checks reporting, weekly active checks, links.

Each reader takes every cluster of the request at once (one grouped query, not one per cluster) and
answers, per cluster id, a verdict and the records behind it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from fleetops.auth.principal import SYSTEM
from fleetops.clustermax.choices import Verdict
from fleetops.health.coverage import coverage
from fleetops.health.models import HealthFinding, QualificationRun
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Cluster, Node
from fleetops.wire import FindingKind

Answer = tuple[Verdict, str]
WEEK = timedelta(days=7)
LINK_CHECKS = (FindingKind.NETWORK_LINK_FLAP.value, FindingKind.NETWORK_LINK_ERRORS.value)
NAMED = 3  # nodes named in a failing item's evidence; the rest are counted


def passive_checks(session: Session, clusters: list[Cluster], at: datetime) -> dict[int, Answer]:
    """Every node in service sent an agent report within the coverage window (health.coverage)."""
    found = coverage(session, SYSTEM, at)
    minutes = found.window_s / 60
    out: dict[int, Answer] = {}
    for cluster in clusters:
        share = found.clusters.get(cluster.name)
        if share is None or not share.expected:
            out[cluster.id] = (Verdict.UNKNOWN, f"no node expected to report ({cluster.state.label} cluster)")
            continue
        said = f"{share.reporting:,} of {share.expected:,} nodes sent a report in the last {minutes:g} min"
        out[cluster.id] = (Verdict.PASS if share.reporting == share.expected else Verdict.FAIL, said)
    return out


def active_checks(session: Session, clusters: list[Cluster], at: datetime) -> dict[int, Answer]:
    """Every ready node ran a qualification (the agent runs it weekly, only while its GPUs are idle)."""
    ids = [c.id for c in clusters]
    ready = Node.cluster_id.in_(ids), Node.state == NodeState.READY
    total = dict(
        session.execute(select(Node.cluster_id, func.count()).where(*ready).group_by(Node.cluster_id)).all()
    )
    ran = {
        cid: (count, last)
        for cid, count, last in session.execute(
            select(Node.cluster_id, func.count(distinct(Node.id)), func.max(QualificationRun.finished_at))
            .join(QualificationRun, QualificationRun.node_id == Node.id)
            .where(*ready, QualificationRun.ran.is_(True), QualificationRun.started_at >= at - WEEK)
            .group_by(Node.cluster_id)
        )
    }
    out: dict[int, Answer] = {}
    for cid in ids:
        expected, (done, last) = total.get(cid, 0), ran.get(cid, (0, None))
        if not expected:
            out[cid] = (Verdict.UNKNOWN, "no ready node to check")
            continue
        latest = f"; latest finished {last:%Y-%m-%d %H:%M} UTC" if last else ""
        said = f"{done:,} of {expected:,} ready nodes ran an active check in the last 7 days{latest}"
        out[cid] = (Verdict.PASS if done == expected else Verdict.FAIL, said)
    return out


def network_links(session: Session, clusters: list[Cluster], at: datetime) -> dict[int, Answer]:
    """No open link finding (flap or rising error counters) on a cluster whose nodes are reporting."""
    ids, name = [c.id for c in clusters], {c.id: c.name for c in clusters}
    rows = session.execute(
        select(
            Node.cluster_id, Node.hostname, HealthFinding.key, HealthFinding.title, HealthFinding.resolved_at
        )
        .join(HealthFinding, HealthFinding.node_id == Node.id)
        .where(Node.cluster_id.in_(ids), HealthFinding.check.in_(LINK_CHECKS))
        .where((HealthFinding.resolved_at.is_(None)) | (HealthFinding.resolved_at >= at - WEEK))
        .order_by(Node.hostname, HealthFinding.key)
    ).all()
    shares = coverage(session, SYSTEM, at).clusters
    out: dict[int, Answer] = {}
    for cid in ids:
        mine = [r for r in rows if r.cluster_id == cid]
        open_ = [f"{r.hostname} {r.key.split(':', 2)[-1]} ({r.title})" for r in mine if r.resolved_at is None]
        resolved = len(mine) - len(open_)
        if open_:
            more = f" and {len(open_) - NAMED} more" if len(open_) > NAMED else ""
            out[cid] = (Verdict.FAIL, f"{len(open_)} open link findings: {'; '.join(open_[:NAMED])}{more}")
        elif not (share := shares.get(name[cid])) or not share.reporting:
            out[cid] = (Verdict.UNKNOWN, "no node reports, so no link was read")
        else:
            said = (
                f"no open link finding on {share.reporting:,} reporting nodes; {resolved} resolved in 7 days"
            )
            out[cid] = (Verdict.PASS, said)
    return out
