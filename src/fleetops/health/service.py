"""Health use-cases for the API, console, CLI and the later pipeline stages (alerts, remediation).

Other domains read findings through `open_findings`, never through the table, so the finding rows can
change shape without breaking alert routing. Every read is tenant-scoped with `inventory.scope.visible`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from fleetops import clock, flow
from fleetops.auth.principal import Principal
from fleetops.errors import InvalidInput, NotFound
from fleetops.health.choices import HealthState
from fleetops.health.coverage import coverage
from fleetops.health.models import (
    AgentRequest,
    GpuHealth,
    HealthChange,
    HealthFinding,
    HealthRejection,
    HealthReport,
    NodeHealth,
    QualificationRun,
)
from fleetops.health.qualification import request_qualification, verification
from fleetops.health.requests import gpu_reset, listed, request_gpu_reset
from fleetops.health.state import recount_open
from fleetops.inventory.models import Cluster, Gpu, Node
from fleetops.inventory.scope import visible
from fleetops.wire import RequestKind

MAX_LIMIT = 1000
# Remediation's verifier calls the first two by name on this module (fleetops.remediation.verify); its
# GPU reset port (fleetops.remediation.executors.AgentGpuReset) the other two.
__all__ = ["request_qualification", "verification", "request_gpu_reset", "gpu_reset"]


def _scoped(stmt: Any, principal: Principal) -> Any:
    rule = visible("node", principal)
    return stmt if rule is None else stmt.where(rule)


def _finding_dict(row: HealthFinding, hostname: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "hostname": hostname,
        "node_id": row.node_id,
        "gpu_index": row.gpu_index,
        "check": row.check,
        "severity": row.severity,
        "xid": row.xid,
        "title": row.title,
        "action": row.action,
        "owner": row.owner,
        "summary": row.summary,
        "source": row.source,
        "reported_by": row.reported_by,
        "report_id": row.report_id,
        "count": row.count,
        "opened_at": row.opened_at,
        "last_seen_at": row.last_seen_at,
        "resolved_at": row.resolved_at,
        "resolved_why": row.resolved_why,
        "open": row.resolved_at is None,
    }


def node_health(session: Session, principal: Principal, node_id: int, recent: int = 50) -> dict[str, Any]:
    """One node's health, its GPUs' health, open and recent findings and its state history."""
    found = session.execute(
        _scoped(select(Node.id, Node.hostname, Node.state).where(Node.id == node_id), principal)
    ).first()
    if found is None:
        raise NotFound(f"node {node_id}: no such node")
    health = session.get(NodeHealth, node_id)
    gpus = session.execute(
        select(Gpu.id, Gpu.index, Gpu.uuid, GpuHealth.state, GpuHealth.since, GpuHealth.why)
        .outerjoin(GpuHealth, GpuHealth.gpu_id == Gpu.id)
        .where(Gpu.node_id == node_id)
        .order_by(Gpu.index)
    ).all()
    findings = session.scalars(
        select(HealthFinding)
        .where(HealthFinding.node_id == node_id)
        .order_by(HealthFinding.resolved_at.is_not(None), HealthFinding.id.desc())
        .limit(recent)
    ).all()
    changes = session.scalars(
        select(HealthChange)
        .where(HealthChange.node_id == node_id)
        .order_by(HealthChange.id.desc())
        .limit(recent)
    ).all()
    return {
        "node_id": node_id,
        "hostname": found.hostname,
        "lifecycle": found.state,
        "state": health.state if health else HealthState.UNKNOWN.value,
        "since": health.since if health else None,
        "why": health.why if health else "no report received yet",
        "last_report_at": health.last_report_at if health else None,
        "gpus": [
            {
                "index": g.index,
                "uuid": g.uuid,
                "state": g.state or HealthState.UNKNOWN.value,
                "since": g.since,
                "why": g.why or "no report received yet",
            }
            for g in gpus
        ],
        "findings": [_finding_dict(f, found.hostname) for f in findings],
        "changes": [
            {
                "at": c.at,
                "actor": c.actor,
                "gpu_id": c.gpu_id,
                "from": c.from_state,
                "to": c.to_state,
                "why": c.why,
            }
            for c in changes
        ],
    }


@dataclass(frozen=True, slots=True)
class FindingQuery:
    open: bool | None = None
    node: str | None = None
    cluster: str | None = None
    check: str | None = None
    severity: str | None = None
    xid: int | None = None
    since: datetime | None = None
    before_id: int | None = None
    limit: int = 100


def list_findings(session: Session, principal: Principal, query: FindingQuery) -> dict[str, Any]:
    """Findings newest first, filtered; `next_cursor` is the id to pass as `before_id` for the next page."""
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: {query.limit} is not between 1 and {MAX_LIMIT}")
    stmt = select(HealthFinding, Node.hostname).join(Node, Node.id == HealthFinding.node_id)
    if query.cluster is not None:
        stmt = stmt.join(Cluster, Cluster.id == Node.cluster_id).where(Cluster.name == query.cluster)
    conditions = {
        "open": lambda: (
            HealthFinding.resolved_at.is_(None) if query.open else HealthFinding.resolved_at.is_not(None)
        ),
        "node": lambda: Node.hostname == query.node,
        "check": lambda: HealthFinding.check == query.check,
        "severity": lambda: HealthFinding.severity == query.severity,
        "xid": lambda: HealthFinding.xid == query.xid,
        "since": lambda: HealthFinding.last_seen_at >= query.since,
        "before_id": lambda: HealthFinding.id < query.before_id,
    }
    for name, condition in conditions.items():
        if getattr(query, name) is not None:
            stmt = stmt.where(condition())
    rows = session.execute(
        _scoped(stmt, principal).order_by(HealthFinding.id.desc()).limit(query.limit + 1)
    ).all()
    items = [_finding_dict(f, host) for f, host in rows[: query.limit]]
    return {"items": items, "next_cursor": items[-1]["id"] if len(rows) > query.limit else None}


def _state_counts(
    session: Session, principal: Principal, column: Any, join_on: Any, table: Any
) -> dict[str, int]:
    stmt = _scoped(
        select(column, func.count()).select_from(table).join(Node, join_on).group_by(column), principal
    )
    counts = dict.fromkeys((s.value for s in HealthState), 0)
    counts.update({state: n for state, n in session.execute(stmt)})
    return counts


def summary(session: Session, principal: Principal) -> dict[str, Any]:
    """Fleet health at a glance: nodes and GPUs by state, unhealthy GPUs by cause, open findings, coverage."""
    nodes = _state_counts(session, principal, NodeHealth.state, Node.id == NodeHealth.node_id, NodeHealth)
    gpus = _state_counts(session, principal, GpuHealth.state, Node.id == GpuHealth.node_id, GpuHealth)
    causes = session.execute(
        _scoped(
            select(GpuHealth.state, GpuHealth.why, func.count())
            .join(Node, Node.id == GpuHealth.node_id)
            .where(GpuHealth.state.in_([HealthState.UNHEALTHY.value, HealthState.DEGRADED.value]))
            .group_by(GpuHealth.state, GpuHealth.why),
            principal,
        )
    ).all()
    open_rows = session.execute(
        _scoped(
            select(HealthFinding.severity, HealthFinding.check, func.count())
            .join(Node, Node.id == HealthFinding.node_id)
            .where(HealthFinding.resolved_at.is_(None))
            .group_by(HealthFinding.severity, HealthFinding.check),
            principal,
        )
    ).all()
    cover = coverage(session, principal)
    return {
        "nodes": nodes,
        "gpus": gpus,
        "gpus_by_cause": _by_cause(causes),
        "open_findings": dict.fromkeys(("critical", "warning", "info"), 0) | _sum_by(open_rows, 0),
        "open_findings_by_check": _sum_by(open_rows, 1),
        "coverage": cover.fleet.as_dict(),
        "clusters": [s.as_dict() for s in cover.clusters.values()],
    }


def _by_cause(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """GPUs per leading cause: a GPU's reason lists its worst findings, the first names the fault."""
    tally: Counter[tuple[str, str]] = Counter()
    for state, why, count in rows:
        tally[(state, why.split("; ")[0])] += count
    out = [{"state": state, "cause": cause, "gpus": n} for (state, cause), n in tally.items()]
    return sorted(out, key=lambda c: (c["state"] != HealthState.UNHEALTHY.value, -c["gpus"], c["cause"]))


def _sum_by(rows: Sequence[Any], position: int) -> dict[str, int]:
    out: Counter[str] = Counter()
    for row in rows:
        out[row[position]] += row[2]
    return dict(out)


def rejections(session: Session, principal: Principal, limit: int = 100) -> list[dict[str, Any]]:
    """Refused reports (staff only: a refusal may name hosts the caller cannot see)."""
    principal.require_staff()
    rows = session.scalars(select(HealthRejection).order_by(HealthRejection.id.desc()).limit(limit)).all()
    return [
        {
            "id": r.id,
            "received_at": r.received_at,
            "actor": r.actor,
            "reason": r.reason,
            "detail": r.detail,
            "report_id": r.report_id,
            "hostname": r.hostname,
        }
        for r in rows
    ]


def open_findings(session: Session, since: datetime | None = None) -> list[flow.Finding]:
    """Findings as the alert pipeline and remediation consume them.

    Without `since`: every open finding. With `since`: findings seen, opened or resolved at or after it,
    resolved ones included (with `resolved=True`) so the alert pipeline can resolve its alerts too.
    """
    stmt = (
        select(HealthFinding, Node.hostname, Gpu.uuid)
        .join(Node, Node.id == HealthFinding.node_id)
        .outerjoin(Gpu, Gpu.id == HealthFinding.gpu_id)
    )
    if since is None:
        stmt = stmt.where(HealthFinding.resolved_at.is_(None))
    else:
        stmt = stmt.where(or_(HealthFinding.last_seen_at >= since, HealthFinding.resolved_at >= since))
    out = []
    for row, hostname, uuid in session.execute(stmt.order_by(HealthFinding.id)):
        resolved = row.resolved_at is not None
        out.append(
            flow.Finding(
                hostname=hostname,
                check=row.check,
                severity=flow.FindingSeverity(row.severity),
                owner=flow.FaultOwner.read(row.owner),
                observed_at=row.resolved_at if row.resolved_at is not None else row.last_seen_at,
                message=f"{row.title}: {row.summary}" if row.title not in row.summary else row.summary,
                action=row.action,
                gpu_index=row.gpu_index,
                gpu_uuid=uuid,
                xid=row.xid,
                resolved=resolved,
            )
        )
    return out


def open_per_rack(session: Session, racks: set[int], checks: set[str]) -> dict[tuple[int, str], set[int]]:
    """The nodes of these racks with an open node-level finding of each check, whether or not it is in the
    batch at hand: a rack that went silent is one cause however the hand-off was cut into batches."""
    found: dict[tuple[int, str], set[int]] = {}
    if not racks or not checks:
        return found
    query = (
        select(Node.rack_id, HealthFinding.check, HealthFinding.node_id)
        .join(Node, Node.id == HealthFinding.node_id)
        .where(
            Node.rack_id.in_(racks),
            HealthFinding.check.in_(checks),
            HealthFinding.gpu_index.is_(None),
            HealthFinding.resolved_at.is_(None),
        )
    )
    for rack_id, check, node_id in session.execute(query):
        found.setdefault((rack_id, check), set()).add(node_id)
    return found


def resolve_findings(session: Session, actor: str, finding_ids: list[int], why: str) -> int:
    """Close findings a human or remediation has dealt with (a reset GPU, a replaced board).

    Node and GPU state follow at the node's next report, which is also what proves the repair worked."""
    if not why.strip():
        raise InvalidInput("why: say why the findings are resolved (it is kept in the finding's history)")
    nodes = set(session.scalars(select(HealthFinding.node_id).where(HealthFinding.id.in_(finding_ids))))
    result = session.execute(
        update(HealthFinding)
        .where(HealthFinding.id.in_(finding_ids), HealthFinding.resolved_at.is_(None))
        .values(resolved_at=clock.now(), resolved_why=f"{actor}: {why}"[:2048])
    )
    recount_open(session, nodes)
    return int(getattr(result, "rowcount", 0) or 0)


def resolve_repaired(session: Session, actor: str, node_id: int, acted_at: datetime, why: str) -> int:
    """A repair verified under load closes the node's open findings last seen before the repair acted:
    without it a node back in service would show unhealthy until its held XIDs expire (up to 24 h)."""
    stmt = select(HealthFinding.id).where(
        HealthFinding.node_id == node_id,
        HealthFinding.resolved_at.is_(None),
        HealthFinding.last_seen_at <= acted_at,
    )
    ids = list(session.scalars(stmt))
    return resolve_findings(session, actor, ids, why) if ids else 0


def recent_reports_per_second(session: Session, window_s: float = 60.0) -> float:
    cutoff = clock.now() - timedelta(seconds=window_s)
    count = session.scalar(
        select(func.count()).select_from(HealthReport).where(HealthReport.received_at >= cutoff)
    )
    return (count or 0) / window_s


def _visible_hostname(session: Session, principal: Principal, node_id: int) -> str:
    hostname = session.scalar(_scoped(select(Node.hostname).where(Node.id == node_id), principal))
    if hostname is None:
        raise NotFound(f"node {node_id}: no such node")
    return hostname


def request_node_qualification(
    session: Session, principal: Principal, node_id: int, reason: str = "", duration_s: float = 60
) -> dict[str, Any]:
    """An operator asks for a qualification now (the agent runs it once its GPUs are idle)."""
    hostname = _visible_hostname(session, principal, node_id)
    principal.require_writer()
    request_id = request_qualification(session, hostname, principal.actor, reason, duration_s)
    return {"id": request_id, "node_id": node_id, "hostname": hostname, "duration_s": duration_s}


def qualifications(session: Session, principal: Principal, node_id: int, limit: int = 20) -> dict[str, Any]:
    """A node's recent qualification requests and results, newest first."""
    hostname = _visible_hostname(session, principal, node_id)
    requests = session.scalars(
        select(AgentRequest)
        .where(AgentRequest.node_id == node_id, AgentRequest.kind == RequestKind.QUALIFY.value)
        .order_by(AgentRequest.id.desc())
        .limit(limit)
    ).all()
    runs = session.scalars(
        select(QualificationRun)
        .where(QualificationRun.node_id == node_id)
        .order_by(QualificationRun.id.desc())
        .limit(limit)
    ).all()
    return {
        "node_id": node_id,
        "hostname": hostname,
        "requests": [listed(r) for r in requests],
        "results": [
            {
                "id": r.id,
                "report_id": r.report_id,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "backend": r.backend,
                "model": r.model,
                "duration_s": r.duration_s,
                "outcome": "passed" if r.passed else "failed" if r.ran else "could not qualify",
                "passed": r.passed,
                "failures": r.failures,
                "new_xids": r.new_xids,
                "reason": r.reason,
                "gpus": r.gpus,
            }
            for r in runs
        ],
    }


def agent_requests(
    session: Session, principal: Principal, node_id: int, kind: str | None = None, limit: int = 20
) -> dict[str, Any]:
    """What was asked of a node's agent (qualify, reset a GPU) and what it answered, newest first."""
    hostname = _visible_hostname(session, principal, node_id)
    query = select(AgentRequest).where(AgentRequest.node_id == node_id)
    if kind is not None:
        if kind not in set(RequestKind):
            raise InvalidInput(f"kind: {kind!r} is not one of {', '.join(RequestKind)}")
        query = query.where(AgentRequest.kind == kind)
    rows = session.scalars(query.order_by(AgentRequest.id.desc()).limit(min(limit, MAX_LIMIT))).all()
    return {"node_id": node_id, "hostname": hostname, "requests": [listed(r) for r in rows]}
