"""The node follows its run: a drain makes it draining, an action repair, a hand-over RMA, a verified
return ready, through the inventory's own transitions (`fleetops.inventory.moves`), each audited with the
run that caused it. Without this a node stayed `ready` through 14 drains and 14 RMAs, and the alert
router's "node under remediation" suppression never applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from fleetops.inventory.choices import NodeState
from fleetops.inventory.moves import Wanted, move_nodes, states
from fleetops.remediation.choices import ActionKind, RunState
from fleetops.remediation.policy import NODE_ACTIONS

S, N, A = RunState, NodeState, ActionKind
# A node already under repair stays so when a climbing run drains it late (XID 48: reset, then drain).
_NOT_BACK_TO_DRAINING = frozenset({N.REPAIR, N.RMA})


@dataclass(frozen=True)
class Move:
    """Where one run stands after a phase: its state, the action it is on, whether it put the node back."""

    node_id: int
    hostname: str
    run_id: int
    state: RunState
    action: ActionKind | None
    returned: bool
    why: str


def target(move: Move) -> NodeState | None:
    """The node state the run implies; None where the node is not the run's to move."""
    state, action = move.state, move.action
    if state in (S.RESOLVED, S.CANCELLED):
        return N.READY if move.returned else None
    if state is S.DRAINING:
        return N.DRAINING
    if state in (S.ACTING, S.ESCALATED) and action is A.RMA_TICKET:
        return N.RMA
    if state is S.ACTING and (action in NODE_ACTIONS or action in (A.CHECK_POWER, A.CONTACT_SUPPLIER)):
        return N.REPAIR
    if state is S.ESCALATED and action is A.CONTACT_SUPPLIER:
        return N.REPAIR
    if state is S.VERIFYING:
        return N.REPAIR
    return None


def follow(session: Session, moves: list[Move], actor: str) -> int:
    """Move each node to the state its run implies (set-based, audited with the run)."""
    wanted: Wanted = {}
    for move in moves:
        state = target(move)
        if state is not None:
            wanted[move.node_id] = (state, move.hostname, f"remediation run {move.run_id}: {move.why}"[:500])
    if not wanted:
        return 0
    now = states(session, list(wanted))
    wanted = {
        i: w for i, w in wanted.items() if not (w[0] is N.DRAINING and now.get(i) in _NOT_BACK_TO_DRAINING)
    }
    return move_nodes(session, wanted, actor, "remediation.node_state")
