"""Decommissioning a cluster within 24 h: drain every node, wipe it (hook), release it, mark it done.

The drain and the wipe are hooks (the scheduler adapter, a wipe command), so this module holds only
the order and the record. The deadline is a column: `within_deadline` is a query, and the cluster is
`decommissioning` throughout, which alert routing reads to suppress anything the teardown triggers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.auth.principal import Principal
from fleetops.config import settings
from fleetops.deploy import fsm, progress
from fleetops.deploy.choices import DecommissionState, RolloutState
from fleetops.deploy.models import Decommission, Rollout
from fleetops.errors import Conflict, ExternalError, NotConfigured, NotFound
from fleetops.inventory.choices import ClusterState, NodeState
from fleetops.inventory.fsm import check_transition
from fleetops.inventory.models import Cluster, Node

DEADLINE = timedelta(hours=24)
OPEN_ROLLOUTS = (RolloutState.PLANNED, RolloutState.RUNNING, RolloutState.PAUSED)


Hook = Callable[[str, str, Sequence[str]], None]  # (cluster, orchestrator, hostnames)


def _untouched(cluster: str, orchestrator: str, hostnames: Sequence[str]) -> None:
    """The simulator's drain and wipe: its nodes have no scheduler or disks."""


def _not_configured(cluster: str, orchestrator: str, hostnames: Sequence[str]) -> None:
    raise NotConfigured(
        f"cluster {cluster}: no drain and wipe configured (the cluster's scheduler in [fleetops.clusters] "
        "and [fleetops.deploy] wipe): the decommission waits"
    )


@dataclass
class Hooks:
    """drain stops new work and waits for running work (the cluster's scheduler); wipe erases the disks."""

    drain: Hook = _untouched
    wipe: Hook = _untouched


_hooks: Hooks | None = None


def use_hooks(hooks: Hooks | None) -> Hooks | None:
    """Install the drain and wipe hooks the API uses (`backends.wiring` builds them from settings)."""
    global _hooks
    previous, _hooks = _hooks, hooks
    return previous


def hooks() -> Hooks:
    """The installed hooks; with none, the simulator's when simulating, else hooks that refuse, so a
    decommission never marks nodes wiped after touching nothing."""
    if _hooks is not None:
        return _hooks
    return Hooks() if settings().simulate else Hooks(_not_configured, _not_configured)


def request(session: Session, principal: Principal, cluster_name: str, why: str) -> Decommission:
    """Mark the cluster decommissioning at once (routing suppresses its alerts from here) and track it."""
    principal.require_writer()
    cluster = session.scalar(select(Cluster).where(Cluster.name == cluster_name))
    if cluster is None:
        raise NotFound(f"cluster {cluster_name}: no such cluster")
    tracked = session.scalar(select(Decommission).where(Decommission.cluster_id == cluster.id))
    if tracked is not None and tracked.state != DecommissionState.DONE:
        return tracked  # asked again: it resumes where it waits (e.g. once drain and wipe are configured)
    if tracked is not None:
        raise Conflict(f"cluster {cluster_name}: field state: already decommissioned")
    check_transition("cluster", cluster.name, cluster.state, ClusterState.DECOMMISSIONING)
    old, cluster.state = cluster.state, ClusterState.DECOMMISSIONING
    now = clock.now()
    # A cluster going away takes no more nodes: its open rollouts stop here, before any drain, and hand
    # back the nodes they left half-way (racked, so the decommission can release them).
    reason = f"cluster decommissioned: {why}"[:500]
    open_ids = list(
        session.scalars(
            select(Rollout.id).where(Rollout.cluster_id == cluster.id, Rollout.state.in_(OPEN_ROLLOUTS))
        )
    )
    session.execute(
        update(Rollout)
        .where(Rollout.id.in_(open_ids))
        .values(state=RolloutState.ABORTED, finished_at=now, reason=reason)
    )
    progress.release_nodes(session, open_ids, principal.actor, reason)
    job = Decommission(
        cluster_id=cluster.id, requested_by=principal.actor, requested_at=now, deadline_at=now + DEADLINE
    )
    session.add(job)
    record(
        session,
        principal.actor,
        Change(
            "deploy.decommission",
            "cluster",
            cluster.name,
            {"state": [old.value, "decommissioning"], "why": why},
        ),
    )
    return job


def _move(job: Decommission, cluster: str, new: DecommissionState) -> None:
    fsm.check_decommission(cluster, DecommissionState(job.state), new)
    job.state = new


def run(session: Session, principal: Principal, cluster_name: str, hooks: Hooks) -> Decommission:
    """Drain, wipe, release, mark decommissioned. Re-runnable: each stage is idempotent."""
    cluster = session.scalar(select(Cluster).where(Cluster.name == cluster_name))
    job = (
        None
        if cluster is None
        else session.scalar(select(Decommission).where(Decommission.cluster_id == cluster.id))
    )
    if cluster is None or job is None:
        raise NotFound(f"cluster {cluster_name}: no decommission requested")
    nodes = session.execute(
        select(Node.id, Node.hostname, Node.state).where(Node.cluster_id == cluster.id)
    ).all()
    hostnames = [n.hostname for n in nodes]
    try:
        hooks.drain(cluster.name, cluster.orchestrator.value, hostnames)
        _move(job, cluster.name, DecommissionState.WIPING)
        hooks.wipe(cluster.name, cluster.orchestrator.value, hostnames)
    except ExternalError as error:
        job.last_error = error.message
        record(
            session,
            principal.actor,
            Change(
                "deploy.decommission", "cluster", cluster.name, {"error": error.message}, result="failure"
            ),
        )
        return job
    why = f"cluster {cluster.name} decommissioned"
    serving = {
        n.id: (NodeState.DRAINING, n.hostname, why)
        for n in nodes
        if n.state in (NodeState.READY, NodeState.CORDONED)
    }
    progress.move_nodes(session, serving, principal.actor)
    progress.move_nodes(
        session, {n.id: (NodeState.DECOMMISSIONED, n.hostname, why) for n in nodes}, principal.actor
    )
    released = (
        session.scalar(
            select(func.count()).where(Node.cluster_id == cluster.id, Node.state == NodeState.DECOMMISSIONED)
        )
        or 0
    )
    session.execute(
        update(Node)
        .where(Node.cluster_id == cluster.id, Node.state == NodeState.DECOMMISSIONED)
        .values(cluster_id=None)
    )
    check_transition("cluster", cluster.name, cluster.state, ClusterState.DECOMMISSIONED)
    cluster.state = ClusterState.DECOMMISSIONED
    _move(job, cluster.name, DecommissionState.DONE)
    job.finished_at, job.nodes_released = clock.now(), released
    record(
        session,
        principal.actor,
        Change(
            "deploy.decommissioned",
            "cluster",
            cluster.name,
            {
                "nodes_released": released,
                "kept": len(nodes) - released,
                "within_deadline": job.finished_at <= job.deadline_at,
            },
        ),
    )
    return job


def read(session: Session, cluster_name: str) -> dict[str, object]:
    row = session.execute(
        select(Decommission, Cluster.name)
        .join(Cluster, Cluster.id == Decommission.cluster_id)
        .where(Cluster.name == cluster_name)
    ).first()
    if row is None:
        raise NotFound(f"cluster {cluster_name}: no decommission requested")
    job, name = row
    finished = job.finished_at
    return {
        "cluster": name,
        "state": job.state.value,
        "requested_by": job.requested_by,
        "requested_at": job.requested_at,
        "deadline_at": job.deadline_at,
        "finished_at": finished,
        "nodes_released": job.nodes_released,
        "last_error": job.last_error,
        "within_deadline": None if finished is None else finished <= job.deadline_at,
    }
