"""Rollout progress and the deploy goals' measures, all computed by queries over the bring-up rows.

GPUs/hour, the share of nodes needing a human, the share of failed nodes recovered automatically and the
rack-ready → workload-ready times are never kept as separate numbers: they are read from the rows the
engine writes, so the scorecard and the engine cannot disagree.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.deploy import fsm
from fleetops.deploy.choices import BringupState
from fleetops.deploy.models import NodeBringup, Rollout

S = BringupState
ROLLING_WINDOW = timedelta(hours=1)


def state_counts(session: Session, rollout_id: int) -> dict[str, int]:
    rows = session.execute(
        select(NodeBringup.state, func.count())
        .where(NodeBringup.rollout_id == rollout_id)
        .group_by(NodeBringup.state)
    )
    counts = {state.value: 0 for state in S}
    counts.update({BringupState(state).value: n for state, n in rows})
    return counts


def _totals(session: Session, rollout_id: int) -> Any:
    ready = NodeBringup.state == S.READY.value
    return session.execute(
        select(
            func.count(),
            func.sum(NodeBringup.gpu_count),
            func.sum(case((ready, NodeBringup.gpu_count), else_=0)),
            func.sum(case((ready, 1), else_=0)),
            func.sum(case((NodeBringup.escalations > 0, 1), else_=0)),
            func.sum(NodeBringup.failures),
            func.sum(NodeBringup.recovered),
            func.sum(NodeBringup.escalations),
            func.min(NodeBringup.enrolled_at),
            func.max(NodeBringup.ready_at),
        ).where(NodeBringup.rollout_id == rollout_id)
    ).one()


def _ready_times(session: Session, rollout_id: int) -> list[tuple[datetime, datetime]]:
    rows = session.execute(
        select(NodeBringup.enrolled_at, NodeBringup.ready_at).where(
            NodeBringup.rollout_id == rollout_id, NodeBringup.ready_at.is_not(None)
        )
    )
    return [(_utc(a), _utc(b)) for a, b in rows if b is not None]


def _utc(value: datetime) -> datetime:
    """Aggregates bypass the column type on SQLite, so their datetimes may come back naive or as text."""
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def rollout_measures(session: Session, rollout: Rollout) -> dict[str, Any]:
    nodes, gpus, gpus_ready, ready, humans, failures, recovered, escalations, first, last = _totals(
        session, rollout.id
    )
    now = clock.now()
    times = _ready_times(session, rollout.id)
    durations = sorted((b - a).total_seconds() for a, b in times)
    start = _utc(rollout.started_at or first) if (rollout.started_at or first) else now
    end = _utc(last) if last and not (nodes - ready - humans_waiting(session, rollout.id)) else now
    elapsed_h = max((end - start).total_seconds() / 3600, 1e-9)
    recent = sum(1 for _, b in times if b > now - ROLLING_WINDOW)
    recent_gpus = (
        session.scalar(
            select(func.coalesce(func.sum(NodeBringup.gpu_count), 0)).where(
                NodeBringup.rollout_id == rollout.id, NodeBringup.ready_at > now - ROLLING_WINDOW
            )
        )
        or 0
    )
    remaining = (nodes or 0) - (ready or 0)
    per_hour = (ready or 0) / elapsed_h
    return {
        "counts": state_counts(session, rollout.id),
        "nodes": nodes or 0,
        "ready": ready or 0,
        "gpus": gpus or 0,
        "gpus_ready": gpus_ready or 0,
        "gpus_per_hour": round((gpus_ready or 0) / elapsed_h, 1) if ready else 0.0,
        "gpus_per_hour_rolling": float(recent_gpus) / (ROLLING_WINDOW.total_seconds() / 3600),
        "nodes_ready_last_hour": recent,
        "eta_s": round(remaining / per_hour * 3600) if per_hour and remaining else None,
        "share_needing_human": _share(humans or 0, nodes or 0),
        "failures": failures or 0,
        "recovered_automatically": recovered or 0,
        "escalations": escalations or 0,
        # Nodes, not episodes: of the nodes that failed and settled, the share that needed no person.
        "share_recovered_automatically": _share(recovered or 0, (recovered or 0) + (humans or 0)),
        "node_ready_s_median": median(durations) if durations else None,
        "node_ready_s_p95": durations[int(0.95 * (len(durations) - 1))] if durations else None,
        "rollout_ready_s": (end - start).total_seconds() if ready else None,
    }


def humans_waiting(session: Session, rollout_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                NodeBringup.rollout_id == rollout_id, NodeBringup.state == S.NEEDS_HUMAN.value
            )
        )
        or 0
    )


def active_count(session: Session) -> int:
    """Rows the engine still works on, over every rollout (the worker's idle check and `/metrics`)."""
    return (
        session.scalar(select(func.count()).where(NodeBringup.state.in_([s.value for s in fsm.ACTIVE]))) or 0
    )


def next_due(session: Session) -> datetime | None:
    """When the engine next has work: a discrete-event simulation advances a ManualClock to here."""
    value = session.scalar(
        select(func.min(NodeBringup.due_at))
        .join(Rollout, Rollout.id == NodeBringup.rollout_id)
        .where(NodeBringup.state.in_([s.value for s in fsm.ACTIVE]), Rollout.state == "running")
    )
    return _utc(value) if value is not None else None
