"""Node state changes from the engines: set-based, each checked against the inventory table, audited.

The one way deploy, remediation and decommission move nodes, so the console, the API, the alert router's
"under remediation" suppression and the capacity figures read one truth. A move the table forbids (a
person cordoned the node meanwhile) is not forced: it is audited as refused and the node keeps its state.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record_many
from fleetops.errors import InvalidTransition
from fleetops.inventory.choices import NodeState
from fleetops.inventory.fsm import check_transition
from fleetops.inventory.models import Node

# node id → (target state, hostname, why)
Wanted = dict[int, tuple[NodeState, str, str]]


def move_nodes(session: Session, wanted: Wanted, actor: str, action: str) -> int:
    """Move each node to its target in one statement per target; `action` names the audit entries."""
    if not wanted:
        return 0
    current = dict(session.execute(select(Node.id, Node.state).where(Node.id.in_(wanted))).all())
    groups: dict[NodeState, list[int]] = defaultdict(list)
    changes = []
    for node_id, (target, hostname, reason) in wanted.items():
        old = current.get(node_id)
        if old is None or old == target:
            continue
        try:
            check_transition("node", hostname, old, target)
        except InvalidTransition as refused:
            changes.append(
                Change(
                    action, "node", hostname, {"state": [old, target], "refused": refused.message}, "refused"
                )
            )
            continue
        groups[target].append(node_id)
        changes.append(Change(action, "node", hostname, {"state": [old, target], "why": reason}))
    for target, ids in groups.items():
        session.execute(update(Node).where(Node.id.in_(ids)).values(state=target, updated_at=clock.now()))
    record_many(session, actor, changes)
    return sum(len(ids) for ids in groups.values())


def states(session: Session, node_ids: list[int]) -> dict[int, NodeState]:
    return {
        i: NodeState(s) for i, s in session.execute(select(Node.id, Node.state).where(Node.id.in_(node_ids)))
    }
