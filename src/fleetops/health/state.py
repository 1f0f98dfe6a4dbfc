"""Fold findings into per-GPU and per-node health, writing only what changed, one statement per table.

A condition (ECC errors, throttling, a missing GPU) stays open while reports show it and is resolved by
the node's next report without it. An event (an XID, a driver line) is reported once: it stays open
until `EVENT_HOLD_S` passes without recurrence, or until remediation resolves it (`resolve_findings`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from fleetops.db import bulk
from fleetops.db.bulk import Among
from fleetops.health.choices import STATE_RANK, HealthState
from fleetops.health.evaluate import EVENT_CHECKS, Observation
from fleetops.health.models import GpuHealth, HealthChange, HealthFinding, NodeHealth

SEVERITY_STATE = {
    "critical": HealthState.UNHEALTHY,
    "warning": HealthState.DEGRADED,
    "info": HealthState.HEALTHY,
}
EVENT_HOLD_S = {"info": 0.0, "warning": 3600.0, "critical": 86_400.0}


@dataclass(slots=True)
class Sighting:
    """One accepted report, reduced to what folding needs."""

    node_id: int
    report_id: str
    actor: str
    received_at: datetime
    collected_at: datetime
    observations: list[Observation]
    gpu_indexes: frozenset[int]
    lost_indexes: frozenset[int]
    blind: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    state: HealthState
    why: str


HEALTHY = Verdict(HealthState.HEALTHY, "no open findings")


@dataclass(slots=True)
class Pending:
    """Rows to write at the end of a batch."""

    new: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    resolved: dict[int, dict[str, Any]] = field(default_factory=dict)


_OPEN = select(
    HealthFinding.id,
    HealthFinding.node_id,
    HealthFinding.key,
    HealthFinding.check,
    HealthFinding.severity,
    HealthFinding.gpu_index,
    HealthFinding.title,
    HealthFinding.count,
    HealthFinding.last_seen_at,
    HealthFinding.opened_at,
).where(HealthFinding.resolved_at.is_(None))
_OPEN = Among(_OPEN, HealthFinding.node_id)
_NODE_STATES = Among(
    select(
        NodeHealth.node_id,
        NodeHealth.state,
        NodeHealth.since,
        NodeHealth.last_collected_at,
        NodeHealth.open_findings,
    ),
    NodeHealth.node_id,
)
_GPU_STATES = Among(select(GpuHealth.gpu_id, GpuHealth.state, GpuHealth.why), GpuHealth.node_id)
NODE_HEALTH = cast(Table, NodeHealth.__table__)  # Core tables for set-based statements
GPU_HEALTH = cast(Table, GpuHealth.__table__)
FINDINGS = cast(Table, HealthFinding.__table__)
CHANGES = cast(Table, HealthChange.__table__)


def _open_findings(session: Session, node_ids: Iterable[int]) -> dict[int, dict[str, dict[str, Any]]]:
    found: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in _OPEN.execute(session.connection(), list(node_ids)).mappings():
        found[row["node_id"]][row["key"]] = dict(row)
    return found


def new_finding_row(sight: Sighting, obs: Observation, gpu_ids: dict[int, int]) -> dict[str, Any]:
    return {
        "id": None,
        "node_id": sight.node_id,
        "key": obs.key,
        "check": obs.check,
        "severity": obs.severity,
        "gpu_index": obs.gpu_index,
        "gpu_id": gpu_ids.get(obs.gpu_index) if obs.gpu_index is not None else None,
        "xid": obs.xid,
        "title": obs.title,
        "action": obs.action,
        "owner": obs.owner,
        "summary": obs.summary[:2048],
        "source": obs.source,
        "reported_by": sight.actor,
        "report_id": sight.report_id,
        "count": 1,
        "opened_at": sight.received_at,
        "last_seen_at": sight.received_at,
        "resolved_at": None,
        "resolved_why": None,
    }


def _resolve(row: dict[str, Any], at: datetime, why: str, pending: Pending) -> None:
    row["resolved_at"], row["resolved_why"] = at, why
    if row["id"] is None:
        return  # opened in this batch: inserted already resolved
    pending.resolved[row["id"]] = {"id": row["id"], "resolved_at": at, "resolved_why": why}
    pending.seen.pop(row["id"], None)


def record_sighting(
    sight: Sighting,
    open_rows: dict[str, dict[str, Any]],
    gpu_ids: dict[int, int],
    pending: Pending,
    newest: bool,
) -> None:
    """Open or refresh each observed finding; a newest report also closes conditions it no longer shows."""
    observed = set()
    for obs in sight.observations:
        observed.add(obs.key)
        row = open_rows.get(obs.key)
        if row is None:
            row = open_rows[obs.key] = new_finding_row(sight, obs, gpu_ids)
            pending.new[(sight.node_id, obs.key)] = row
        else:
            row["count"] += 1
            row["last_seen_at"] = sight.received_at
            if row["id"] is not None:
                pending.seen[row["id"]] = {
                    "id": row["id"],
                    "count": row["count"],
                    "last_seen_at": sight.received_at,
                }
    for key, row in list(open_rows.items()):
        hold = EVENT_HOLD_S.get(row["severity"], 0.0)
        is_event = _is_event(row["check"])
        if is_event and row["last_seen_at"] + timedelta(seconds=hold) <= sight.received_at:
            _resolve(row, sight.received_at, f"no recurrence for {hold / 3600:g} h", pending)
        elif not is_event and newest and key not in observed:
            _resolve(row, sight.received_at, f"not seen in report {sight.report_id}", pending)
        else:
            continue
        del open_rows[key]


def _is_event(check: str) -> bool:
    return check in EVENT_CHECKS


def _worse(a: Verdict, b: Verdict) -> Verdict:
    """The worse verdict; at equal rank (other than healthy) both reasons are kept, the first one first."""
    if STATE_RANK[b.state] > STATE_RANK[a.state]:
        return b
    if b.state == a.state != HealthState.HEALTHY and b.why not in a.why:
        return Verdict(a.state, f"{a.why}; {b.why}")
    return a


def judge(
    sight: Sighting, open_rows: Iterable[dict[str, Any]], gpu_ids: dict[int, int]
) -> tuple[Verdict, dict[int, Verdict]]:
    """Each GPU is as bad as its worst open finding; the node is as bad as its worst GPU or node finding."""
    if not open_rows and not sight.blind and not sight.lost_indexes and sight.gpu_indexes >= gpu_ids.keys():
        return HEALTHY, dict.fromkeys(gpu_ids.values(), HEALTHY)  # most reports: nothing open, all GPUs seen
    gpus = dict.fromkeys(gpu_ids, HEALTHY)
    for index in gpu_ids:
        if sight.blind:
            gpus[index] = Verdict(HealthState.UNKNOWN, "no GPU readings: collector down")
        elif index in sight.lost_indexes:
            gpus[index] = Verdict(HealthState.UNHEALTHY, "GPU lost: fallen off the bus")
        elif index not in sight.gpu_indexes:
            gpus[index] = Verdict(HealthState.UNHEALTHY, "GPU not visible in the agent's report")
    node = HEALTHY
    # XIDs first: the catalog's name for a fault is the most specific cause to lead a reason with.
    for row in sorted(open_rows, key=lambda r: (r["check"] != "xid", r["key"])):
        verdict = Verdict(SEVERITY_STATE.get(row["severity"], HealthState.HEALTHY), row["title"])
        index = row["gpu_index"]
        if index in gpus:
            gpus[index] = _worse(gpus[index], verdict)
        else:
            node = _worse(node, verdict)
    for index, verdict in sorted(gpus.items()):
        if verdict.state != HealthState.HEALTHY:  # a healthy GPU never makes the node worse
            node = _worse(node, Verdict(verdict.state, f"GPU {index}: {verdict.why}"))
    return node, {gpu_ids[index]: verdict for index, verdict in gpus.items()}


def recount_open(session: Session, node_ids: Iterable[int]) -> None:
    """Set each node's open-finding count from the rows, after changes made outside `fold`."""
    table = NODE_HEALTH
    count = (
        select(func.count())
        .select_from(HealthFinding)
        .where(HealthFinding.node_id == table.c.node_id, HealthFinding.resolved_at.is_(None))
        .scalar_subquery()
    )
    session.connection().execute(
        update(table).where(table.c.node_id.in_(list(node_ids))).values(open_findings=count)
    )


def write_findings(session: Session, pending: Pending) -> None:
    if pending.new:
        rows = [{k: v for k, v in row.items() if k != "id"} for row in pending.new.values()]
        bulk.insert(session.connection(), FINDINGS, rows)
    if pending.seen:
        session.execute(update(HealthFinding), list(pending.seen.values()))
    if pending.resolved:
        session.execute(update(HealthFinding), list(pending.resolved.values()))


@dataclass(slots=True)
class Before:
    """How nodes and GPUs were judged before this batch: node id → row, GPU id → row."""

    nodes: dict[int, dict[str, Any]] = field(default_factory=dict)
    gpus: dict[int, dict[str, Any]] = field(default_factory=dict)


def current_states(session: Session, node_ids: Iterable[int]) -> Before:
    ids, connection = list(node_ids), session.connection()
    return Before(
        {r["node_id"]: dict(r) for r in _NODE_STATES.execute(connection, ids).mappings()},
        {r["gpu_id"]: dict(r) for r in _GPU_STATES.execute(connection, ids).mappings()},
    )


@dataclass(slots=True)
class StateWrite:
    """Node and GPU verdicts to store; only changed GPUs are written, every node row is refreshed. A change
    is recorded under `actor` unless the call names its own (a batch may hold several agents' reports)."""

    at: datetime
    actor: str
    nodes: list[dict[str, Any]] = field(default_factory=list)
    gpus: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)

    def node(
        self,
        node_id: int,
        verdict: Verdict,
        before: dict[str, Any] | None,
        actor: str | None = None,
        **extra: Any,
    ) -> None:
        changed = before is None or before["state"] != verdict.state.value
        since = self.at if before is None or changed else before["since"]
        self.nodes.append(
            {
                "node_id": node_id,
                "state": verdict.state.value,
                "since": since,
                "why": verdict.why[:2048],
                **extra,
            }
        )
        if changed:
            self._change(node_id, None, verdict, before, actor)

    def gpu(
        self,
        node_id: int,
        gpu_id: int,
        verdict: Verdict,
        before: dict[str, Any] | None,
        actor: str | None = None,
    ) -> None:
        if before is not None and before["state"] == verdict.state and before["why"] == verdict.why:
            return
        self.gpus.append(
            {
                "gpu_id": gpu_id,
                "node_id": node_id,
                "state": verdict.state.value,
                "since": self.at,
                "why": verdict.why[:2048],
            }
        )
        if before is None or before["state"] != verdict.state.value:
            self._change(node_id, gpu_id, verdict, before, actor)

    def _change(
        self,
        node_id: int,
        gpu_id: int | None,
        verdict: Verdict,
        before: dict[str, Any] | None,
        actor: str | None,
    ) -> None:
        self.changes.append(
            {
                "at": self.at,
                "actor": actor or self.actor,
                "node_id": node_id,
                "gpu_id": gpu_id,
                "from_state": before["state"] if before else None,
                "to_state": verdict.state.value,
                "why": verdict.why[:2048],
            }
        )

    def flush(self, session: Session) -> None:
        connection = session.connection()
        bulk.upsert(connection, NODE_HEALTH, self.nodes, ["node_id"])
        bulk.upsert(connection, GPU_HEALTH, self.gpus, ["gpu_id"])
        bulk.insert(connection, CHANGES, self.changes)


def fold(
    session: Session,
    sightings: list[Sighting],
    gpus_by_node: dict[int, dict[int, int]],
    at: datetime,
    before: Before | None = None,
) -> dict[int, Verdict]:
    """Apply a batch of accepted reports: findings, then GPU and node health; returns each node's verdict.

    `before` (the current states) may come from the caller's own inventory query, saving two reads. Changes
    are recorded under the actor of the report that caused them (a batch may come from several agents)."""
    node_ids = {s.node_id for s in sightings}
    before = before or current_states(session, node_ids)
    before_nodes, before_gpus = before.nodes, before.gpus
    unknown = [n for n in node_ids if (before_nodes.get(n) or {}).get("open_findings", 1)]
    open_by_node = _open_findings(session, unknown) if unknown else defaultdict(dict)
    latest_collected: dict[int, datetime | None] = {
        n: (before_nodes.get(n) or {}).get("last_collected_at") for n in node_ids
    }
    pending = Pending()
    last_sight: dict[int, Sighting] = {}
    last_report_at: dict[int, datetime] = {}
    for sight in sorted(sightings, key=lambda s: s.collected_at):
        latest = latest_collected[sight.node_id]
        newest = latest is None or sight.collected_at >= latest
        if newest:
            latest_collected[sight.node_id] = sight.collected_at
            last_sight[sight.node_id] = sight
        record_sighting(sight, open_by_node[sight.node_id], gpus_by_node[sight.node_id], pending, newest)
        last_report_at[sight.node_id] = max(
            sight.received_at, last_report_at.get(sight.node_id, sight.received_at)
        )
    write_findings(session, pending)
    writes, verdicts = StateWrite(at, "fleetops"), {}
    for node_id in node_ids:
        sight = last_sight.get(node_id) or next(s for s in sightings if s.node_id == node_id)
        node, gpus = judge(sight, open_by_node[node_id].values(), gpus_by_node[node_id])
        verdicts[node_id] = node
        writes.node(
            node_id,
            node,
            before_nodes.get(node_id),
            last_report_at=last_report_at[node_id],
            last_collected_at=latest_collected[node_id],
            last_report_id=sight.report_id,
            open_findings=len(open_by_node[node_id]),
            actor=sight.actor,
        )
        for gpu_id, verdict in gpus.items():
            writes.gpu(node_id, gpu_id, verdict, before_gpus.get(gpu_id), actor=sight.actor)
    writes.flush(session)
    return verdicts
