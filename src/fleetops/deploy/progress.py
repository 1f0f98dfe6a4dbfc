"""What a tick's moves mean outside the bring-up rows: inventory node states, rollout and cluster states.

Node states follow `fleetops.inventory.fsm` and change in set-based statements, one per (from, to)
pair, audited in one `record_many`. A move the inventory table forbids (someone cordoned the node by
hand meanwhile) is not forced: it is audited as refused and the node keeps its state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record_many
from fleetops.deploy import fsm
from fleetops.deploy.choices import BringupState, RolloutState
from fleetops.deploy.models import NodeBringup, Rollout
from fleetops.inventory import moves
from fleetops.inventory.choices import ClusterState, NodeState
from fleetops.inventory.fsm import check_transition
from fleetops.inventory.models import Cluster, Node
from fleetops.inventory.moves import Wanted

if TYPE_CHECKING:
    from fleetops.deploy.bringup import Work


def sync_nodes(session: Session, works: Iterable[Work], actor: str) -> None:
    wanted: dict[int, tuple[NodeState, str, str]] = {}
    for work in works:
        for transition in work.transitions:
            target = fsm.NODE_STATE_OF[transition.to_state]
            if target is not None:
                wanted[work.row["node_id"]] = (target, work.row["hostname"], transition.reason)
    move_nodes(session, wanted, actor)


def move_nodes(session: Session, wanted: Wanted, actor: str) -> int:
    return moves.move_nodes(session, wanted, actor, "deploy.node_state")


def release_nodes(session: Session, rollout_ids: list[int], actor: str, why: str) -> int:
    """Aborted rollouts hand back the nodes they left half-way: back to racked, through the table.

    Their leases are revoked first, so a tick in flight writes nothing for them (it writes only rows it
    still leases) and cannot move a node forward again. Inventory has no qualifying → racked edge, so a
    qualifying node goes by provisioning, each move audited. Ready nodes and those on the human queue
    (repair) are in a stable state already and stay.
    """
    session.execute(
        update(NodeBringup)
        .where(NodeBringup.rollout_id.in_(rollout_ids))
        .values(lease_owner=None, lease_expires_at=None)
    )
    held = session.execute(
        select(Node.id, Node.hostname, Node.state)
        .join(NodeBringup, NodeBringup.node_id == Node.id)
        .where(
            NodeBringup.rollout_id.in_(rollout_ids),
            NodeBringup.state.not_in([BringupState.READY.value, BringupState.NEEDS_HUMAN.value]),
            Node.state.in_([NodeState.PROVISIONING, NodeState.QUALIFYING]),
        )
    ).all()
    back = {n.id: (NodeState.PROVISIONING, n.hostname, why) for n in held if n.state == NodeState.QUALIFYING}
    move_nodes(session, back, actor)
    return move_nodes(session, {n.id: (NodeState.RACKED, n.hostname, why) for n in held}, actor)


def settle_rollouts(session: Session, rollout_ids: set[int], actor: str) -> None:
    """A rollout with no node left in the engine's hands is complete; all ready makes its cluster active."""
    if not rollout_ids:
        return
    counts = session.execute(
        select(NodeBringup.rollout_id, NodeBringup.state, func.count())
        .where(NodeBringup.rollout_id.in_(rollout_ids))
        .group_by(NodeBringup.rollout_id, NodeBringup.state)
    ).all()
    by_rollout: dict[int, dict[str, int]] = defaultdict(dict)
    for rollout_id, state, count in counts:
        by_rollout[rollout_id][BringupState(state)] = count
    for rollout_id, states in by_rollout.items():
        if any(state in fsm.ACTIVE for state in states):
            continue
        rollout = session.get(Rollout, rollout_id)
        if rollout is None or rollout.state is not RolloutState.RUNNING:
            continue
        all_ready = set(states) == {BringupState.READY}
        if all_ready:
            rollout.state, rollout.finished_at = RolloutState.COMPLETED, clock.now()
            rollout.reason = "every node ready"
            activate_cluster(session, rollout.cluster_id, actor)
        record_many(
            session,
            actor,
            [
                Change(
                    "deploy.rollout_settled", "rollout", rollout.name, {str(k): v for k, v in states.items()}
                )
            ],
        )


def activate_cluster(session: Session, cluster_id: int, actor: str) -> None:
    cluster = session.get(Cluster, cluster_id)
    if cluster is None or cluster.state is not ClusterState.DEPLOYING:
        return
    check_transition("cluster", cluster.name, cluster.state, ClusterState.ACTIVE)
    cluster.state = ClusterState.ACTIVE
    record_many(
        session,
        actor,
        [Change("deploy.cluster_state", "cluster", cluster.name, {"state": ["deploying", "active"]})],
    )
