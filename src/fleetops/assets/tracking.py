"""Each active cluster's customer-engineering Jira board issue, and the trackability report: clusters
lacking a board issue, a customer, a supplier or a contract (inventory's `untracked_clusters`)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.assets.models import ClusterBoard
from fleetops.assets.orders import cluster_id
from fleetops.audit.service import Change, record
from fleetops.auth.principal import Principal
from fleetops.errors import InvalidInput
from fleetops.inventory.choices import ClusterState
from fleetops.inventory.models import Cluster
from fleetops.inventory.service import untracked_clusters

ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]+-\d+")


def set_board(session: Session, principal: Principal, cluster: str, issue_key: str) -> dict[str, str]:
    principal.require_writer()
    if not ISSUE_KEY.fullmatch(issue_key):
        raise InvalidInput(
            f"cluster {cluster}: field issue_key: {issue_key!r} is not a Jira issue key (CE-123)"
        )
    found = cluster_id(session, cluster, f"board of cluster {cluster}")
    row = session.scalar(select(ClusterBoard).where(ClusterBoard.cluster_id == found))
    if row is None:
        session.add(ClusterBoard(cluster_id=found, issue_key=issue_key))
    else:
        row.issue_key = issue_key
    record(session, principal.actor, Change("asset.board", "cluster", cluster, {"issue_key": issue_key}))
    return {"cluster": cluster, "issue_key": issue_key}


def report(session: Session) -> dict[str, Any]:
    """Active clusters: how many are trackable (a board issue and nothing else missing), and the others."""
    keys = dict(
        session.execute(
            select(Cluster.name, ClusterBoard.issue_key)
            .outerjoin(ClusterBoard, ClusterBoard.cluster_id == Cluster.id)
            .where(Cluster.state == ClusterState.ACTIVE)
        ).all()
    )
    problems: dict[str, list[str]] = {name: [] for name in keys}
    for row in untracked_clusters(session):
        if row["cluster"] in problems:
            problems[row["cluster"]] += row["problems"]
    for name, key in keys.items():
        if key is None:
            problems[name].insert(0, "missing Jira board issue")
    lacking = [{"cluster": n, "problems": p} for n, p in sorted(problems.items()) if p]
    return {
        "active": len(keys),
        "trackable": len(keys) - len(lacking),
        "without_board_issue": sum(1 for k in keys.values() if k is None),
        "clusters": lacking,
    }
