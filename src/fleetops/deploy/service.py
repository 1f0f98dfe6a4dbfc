"""Deploy use-cases for the API, the CLI and the console; each runs inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.auth.principal import Principal
from fleetops.deploy import fsm, ledger, measures, progress
from fleetops.deploy.choices import BringupState, RolloutState
from fleetops.deploy.models import BringupTransition, NodeBringup, Rollout
from fleetops.deploy.plan import PlanRequest, check_cluster
from fleetops.deploy.plan import plan as make_plan
from fleetops.errors import InvalidTransition, NotFound
from fleetops.inventory.choices import ClusterState
from fleetops.inventory.fsm import check_transition
from fleetops.inventory.models import Cluster, Node

R = RolloutState
ROLLOUT_TRANSITIONS: dict[RolloutState, frozenset[RolloutState]] = {
    R.PLANNED: frozenset({R.RUNNING, R.ABORTED}),
    R.RUNNING: frozenset({R.PAUSED, R.COMPLETED, R.ABORTED}),
    R.PAUSED: frozenset({R.RUNNING, R.ABORTED}),
    R.COMPLETED: frozenset(),
    R.ABORTED: frozenset(),
}


def get_rollout(session: Session, name: str) -> Rollout:
    rollout = session.scalar(select(Rollout).where(Rollout.name == name))
    if rollout is None:
        raise NotFound(f"rollout {name}: no such rollout")
    return rollout


def _writable(session: Session, principal: Principal, name: str) -> Rollout:
    """A rollout for a verb: the role is checked before the name is looked up, so that a token that may
    not act answers 403 alike for a rollout that exists and one that does not (no probing names)."""
    principal.require_writer()
    return get_rollout(session, name)


def _move(session: Session, principal: Principal, rollout: Rollout, new: RolloutState, why: str) -> Rollout:
    principal.require_writer()
    if new not in ROLLOUT_TRANSITIONS[rollout.state]:
        raise InvalidTransition(
            f"rollout {rollout.name}: field state: {rollout.state} → {new} is not allowed"
        )
    old, rollout.state, rollout.reason = rollout.state, new, why
    if new in (R.COMPLETED, R.ABORTED):
        rollout.finished_at = clock.now()
    record(
        session,
        principal.actor,
        Change(f"deploy.{new.value}", "rollout", rollout.name, {"state": [old.value, new.value], "why": why}),
    )
    return rollout


def plan(session: Session, principal: Principal, request: PlanRequest) -> Rollout:
    principal.require_writer()
    rollout = make_plan(session, principal.actor, request)
    record(
        session,
        principal.actor,
        Change(
            "deploy.plan",
            "rollout",
            rollout.name,
            {"cluster": request.cluster, "image": request.image, "profile": request.profile},
        ),
    )
    return rollout


def start(session: Session, principal: Principal, name: str) -> Rollout:
    """Re-check the cluster (it may have changed since the plan), mark it deploying, release the rows."""
    rollout = _writable(session, principal, name)
    cluster = session.get_one(Cluster, rollout.cluster_id)
    check_cluster(cluster)
    _move(session, principal, rollout, R.RUNNING, "started")
    rollout.started_at = clock.now()
    if cluster.state is ClusterState.PLANNED:
        check_transition("cluster", cluster.name, cluster.state, ClusterState.DEPLOYING)
        cluster.state = ClusterState.DEPLOYING
    node_ids = select(NodeBringup.node_id).where(NodeBringup.rollout_id == rollout.id)
    session.execute(
        update(Node).where(Node.id.in_(node_ids), Node.cluster_id.is_(None)).values(cluster_id=cluster.id)
    )
    now = clock.now()
    session.execute(
        update(NodeBringup)
        .where(NodeBringup.rollout_id == rollout.id, NodeBringup.state == BringupState.ENROLLED)
        .values(enrolled_at=now, due_at=now)
    )
    return rollout


def pause(session: Session, principal: Principal, name: str, why: str = "paused by operator") -> Rollout:
    """The engine claims only rows of running rollouts: steps in flight finish, no new step starts."""
    return _move(session, principal, _writable(session, principal, name), R.PAUSED, why)


def resume(session: Session, principal: Principal, name: str) -> Rollout:
    """Only a paused rollout resumes: a planned one must go through `start`, which checks the cluster
    again, moves it to deploying and assigns the nodes."""
    rollout = _writable(session, principal, name)
    if rollout.state is not R.PAUSED:
        raise InvalidTransition(
            f"rollout {name}: field state: only a paused rollout resumes (it is {rollout.state})"
        )
    return _move(session, principal, rollout, R.RUNNING, "resumed by operator")


def abort(session: Session, principal: Principal, name: str, why: str = "aborted by operator") -> Rollout:
    """Stops the rollout for good. Nodes it left half-way go back to racked (ready and repair nodes stay
    as they are), so they may be planned again in a new rollout."""
    rollout = _move(session, principal, _writable(session, principal, name), R.ABORTED, why)
    progress.release_nodes(session, [rollout.id], principal.actor, f"rollout {name} aborted: {why}")
    return rollout


def retry_node(session: Session, principal: Principal, hostname: str, why: str) -> NodeBringup:
    """A human fixed the node: send it back to the step it failed, with a fresh recovery ladder."""
    principal.require_writer()
    row = session.scalar(
        select(NodeBringup).where(
            NodeBringup.hostname == hostname, NodeBringup.state == BringupState.NEEDS_HUMAN
        )
    )
    if row is None:
        raise NotFound(f"node {hostname}: not waiting for a human in any rollout")
    target = BringupState(row.resume_state or BringupState.POWER_ON)
    transition = fsm.advance(
        bringup_id=row.id,
        rollout_id=row.rollout_id,
        hostname=hostname,
        old=row.state,
        new=target,
        at=clock.now(),
        actor=principal.actor,
        reason=why,
    )
    row.state, row.attempt, row.failed_step, row.resume_state = target, 0, None, None
    evidence = ledger.forgive(row.evidence or {})
    ledger.count(evidence, target, ledger.RUNS)
    row.evidence = evidence
    row.step_calls, row.step_started_at, row.due_at = 0, None, clock.now()
    session.execute(insert(BringupTransition), [transition.row()])
    target_node = fsm.NODE_STATE_OF[target]
    if target_node is not None:
        progress.move_nodes(session, {row.node_id: (target_node, hostname, why)}, principal.actor)
    return row


def status(session: Session, name: str) -> dict[str, Any]:
    rollout = get_rollout(session, name)
    cluster = session.get_one(Cluster, rollout.cluster_id)
    return {
        "name": rollout.name,
        "cluster": cluster.name,
        "image": rollout.image,
        "profile": rollout.profile,
        "state": rollout.state.value,
        "created_by": rollout.created_by,
        "started_at": rollout.started_at,
        "finished_at": rollout.finished_at,
        **measures.rollout_measures(session, rollout),
    }


def list_rollouts(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Rollout.name, Rollout.state, Cluster.name.label("cluster"))
        .join(Cluster, Cluster.id == Rollout.cluster_id)
        .order_by(Rollout.id)
    )
    return [{"name": r.name, "state": r.state.value, "cluster": r.cluster} for r in rows]


def needs_human(session: Session, rollout: str | None = None) -> list[dict[str, Any]]:
    """The human queue: every node the engine gave up on, with the reason and the evidence."""
    stmt = (
        select(NodeBringup, Rollout.name.label("rollout"))
        .join(Rollout, Rollout.id == NodeBringup.rollout_id)
        .where(NodeBringup.state == BringupState.NEEDS_HUMAN)
        .order_by(NodeBringup.updated_at)
    )
    if rollout:
        stmt = stmt.where(Rollout.name == rollout)
    return [
        {
            "hostname": b.hostname,
            "rollout": name,
            "failed_step": b.resume_state.value if b.resume_state else None,
            "failures": b.failures,
            "last_error": b.last_error,
            "evidence": b.evidence,
            "since": b.updated_at,
        }
        for b, name in session.execute(stmt)
    ]


def history(session: Session, hostname: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(BringupTransition)
        .join(NodeBringup, NodeBringup.id == BringupTransition.bringup_id)
        .where(NodeBringup.hostname == hostname)
        .order_by(BringupTransition.id)
    )
    return [
        {"at": t.at, "actor": t.actor, "from": t.from_state, "to": t.to_state, "why": t.reason} for t in rows
    ]
