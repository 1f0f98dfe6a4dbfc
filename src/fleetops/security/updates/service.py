"""Emergency update use-cases: plan one over a cluster's nodes in service, start, pause, resume, read.

The run's states are a table too (`fsm.RUN_TRANSITIONS`): planned → running ⇄ paused → completed; the
engine completes a run when every node is done and pauses it at the first failure, through the same
`fsm.move_run` as a person.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from fleetops.audit.service import Change, record
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.errors import Conflict, InvalidInput, NotFound
from fleetops.inventory.choices import NodeState
from fleetops.inventory.kinds import KINDS
from fleetops.inventory.models import Cluster, Node
from fleetops.inventory.scope import visible
from fleetops.inventory.service import find
from fleetops.security.updates import fsm
from fleetops.security.updates.choices import RunState
from fleetops.security.updates.models import EmergencyUpdate, UpdateNode, UpdateStep

WRITERS = (Role.ADMIN, Role.OPERATOR, Role.SECURITY)


def plan(
    session: Session, who: Principal, name: str, cluster: str, bulletin: str, max_drained_pct: float = 10.0
) -> EmergencyUpdate:
    """Every node of `cluster` in service, at most `max_drained_pct` % of them out at once (at least one)."""
    who.require(*WRITERS)
    if not 0 < max_drained_pct <= 50:
        raise InvalidInput(
            f"emergency update {name}: field max_drained_pct: {max_drained_pct} (0 < pct <= 50)"
        )
    if session.scalar(select(EmergencyUpdate.id).where(EmergencyUpdate.name == name)) is not None:
        raise Conflict(f"emergency update {name} already exists")
    cluster_id = int(find(session, who, KINDS["cluster"], cluster)["id"])
    nodes = session.execute(
        select(Node.id, Node.hostname)
        .where(Node.cluster_id == cluster_id, Node.state == NodeState.READY)
        .order_by(Node.hostname)
    ).all()
    if not nodes:
        raise InvalidInput(f"emergency update {name}: cluster {cluster} has no node in service")
    cap = max(1, math.floor(len(nodes) * max_drained_pct / 100))
    run = EmergencyUpdate(
        name=name, cluster_id=cluster_id, bulletin=bulletin, max_drained=cap, created_by=who.actor
    )
    session.add(run)
    session.flush()
    session.add_all(UpdateNode(update_id=run.id, node_id=n.id, hostname=n.hostname) for n in nodes)
    changes = {"cluster": cluster, "bulletin": bulletin, "nodes": len(nodes), "max_drained": cap}
    record(session, who.actor, Change("security_update.plan", "security_update", name, changes))
    return run


def _visible(who: Principal) -> Select[tuple[EmergencyUpdate]]:
    """Staff see every run; a customer or supplier the runs over its own clusters (sales and relays none)."""
    stmt = select(EmergencyUpdate)
    scope = visible("cluster", who)
    if scope is not None:
        stmt = stmt.join(Cluster, Cluster.id == EmergencyUpdate.cluster_id).where(scope)
    return stmt


def get(session: Session, who: Principal, name: str) -> EmergencyUpdate:
    run = session.scalar(_visible(who).where(EmergencyUpdate.name == name))
    if run is None:
        raise NotFound(f"no emergency update {name}")
    return run


def listed(session: Session, who: Principal) -> Sequence[EmergencyUpdate]:
    return session.scalars(_visible(who).order_by(EmergencyUpdate.id.desc())).all()


def nodes(session: Session, run: EmergencyUpdate) -> Sequence[UpdateNode]:
    return session.scalars(
        select(UpdateNode).where(UpdateNode.update_id == run.id).order_by(UpdateNode.hostname)
    ).all()


def move(session: Session, who: Principal, name: str, new: RunState, why: str) -> EmergencyUpdate:
    """start (planned → running), pause, resume (paused → running), through the run's table."""
    who.require(*WRITERS)
    run = get(session, who, name)
    fsm.move_run(session, run, new, who.actor, why)
    return run


def counts(session: Session, run: EmergencyUpdate) -> dict[str, int]:
    found = session.execute(select(UpdateNode.state).where(UpdateNode.update_id == run.id)).scalars()
    return dict(Counter(s.value for s in found))


def timeline(session: Session, run: EmergencyUpdate) -> Sequence[UpdateStep]:
    """Every step of every node, in order: what the post-incident review reads."""
    return session.scalars(
        select(UpdateStep).where(UpdateStep.update_id == run.id).order_by(UpdateStep.id)
    ).all()


def summary(session: Session, run: EmergencyUpdate) -> dict[str, Any]:
    return {
        "name": run.name,
        "bulletin": run.bulletin,
        "state": run.state.value,
        "max_drained": run.max_drained,
        "nodes": counts(session, run),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "reason": run.reason,
    }
