"""The security dashboard's numbers, each one query over the findings: open by severity, overdue, and
the share of Critical findings within SLA (overall, per cluster, per supplier).

A node's findings belong to the node's cluster and its site's supplier as they are now; an image or
cluster finding to the cluster it was imported for (and that cluster's supplier).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased

from fleetops import clock
from fleetops.auth.principal import Principal
from fleetops.inventory.models import Cluster, Node, Rack, Site, Supplier
from fleetops.security import sla
from fleetops.security.choices import Severity
from fleetops.security.models import SecurityFinding as F
from fleetops.security.scope import visible_to

_OwnCluster = aliased(Cluster)
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def _placed(stmt: S) -> S:
    """`stmt` over findings joined to where they are: node, rack, site, and the finding's own cluster."""
    return (
        stmt.select_from(F)
        .outerjoin(Node, Node.id == F.node_id)
        .outerjoin(Rack, Rack.id == Node.rack_id)
        .outerjoin(Site, Site.id == Rack.site_id)
        .outerjoin(_OwnCluster, _OwnCluster.id == F.cluster_id)
    )


def _scoped(stmt: S, who: Principal) -> S:
    scope = visible_to(who, F.node_id, F.cluster_id)
    return stmt if scope is None else stmt.where(scope)


def within_sla(
    session: Session, who: Principal, severity: Severity = Severity.CRITICAL, by: str | None = None
) -> list[dict[str, Any]]:
    """Findings of `severity` within SLA over those measured, for the fleet or `by` cluster or supplier."""
    now = clock.now()
    within = func.sum(case((sla.within(now), 1), else_=0))
    cluster_id = func.coalesce(F.cluster_id, Node.cluster_id)
    supplier_id = func.coalesce(Site.supplier_id, _OwnCluster.supplier_id)
    if by == "cluster":
        key, names = cluster_id, select(Cluster.id, Cluster.name)
    elif by == "supplier":
        key, names = supplier_id, select(Supplier.id, Supplier.name)
    else:
        key, names = None, None
    columns = [within, func.count()] if key is None else [key, within, func.count()]
    stmt = _placed(select(*columns)).where(F.severity == severity, sla.measured(now))
    stmt = _scoped(stmt if key is None else stmt.group_by(key), who)
    rows = session.execute(stmt).all()
    named = dict(session.execute(names).all()) if names is not None else {}
    out = []
    for row in rows:
        group, (inside, total) = (None, row) if key is None else (row[0], row[1:])
        name = named.get(int(group or 0), "(none)") if by else "fleet"
        share = int(inside or 0) / total if total else None
        out.append({"name": name, "within": int(inside or 0), "total": total, "share": share})
    return out


def dashboard(session: Session, who: Principal) -> dict[str, Any]:
    now = clock.now()
    by_severity = _scoped(_placed(select(F.severity, func.count())).where(sla.is_open(now)), who)
    open_counts = {s.value: 0 for s in Severity}
    for severity, count in session.execute(by_severity.group_by(F.severity)):
        open_counts[severity.value] = count
    overdue = session.scalar(_scoped(_placed(select(func.count())).where(sla.overdue(now)), who))
    return {
        "open_by_severity": open_counts,
        "overdue": overdue or 0,
        "criticals_within_sla": within_sla(session, who)[0],
        "highs_within_sla": within_sla(session, who, Severity.HIGH)[0],
        "criticals_by_cluster": within_sla(session, who, by="cluster"),
        "criticals_by_supplier": within_sla(session, who, by="supplier"),
    }
