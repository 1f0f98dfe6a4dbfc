"""Lifecycle tables for clusters and nodes: one table each, every change checked against it."""

from __future__ import annotations

from fleetops.errors import InvalidTransition
from fleetops.inventory.choices import ClusterState, NodeState

C, N = ClusterState, NodeState

CLUSTER_TRANSITIONS: dict[ClusterState, frozenset[ClusterState]] = {
    C.PLANNED: frozenset({C.DEPLOYING, C.DECOMMISSIONED}),
    C.DEPLOYING: frozenset({C.ACTIVE, C.PLANNED, C.DECOMMISSIONING}),
    C.ACTIVE: frozenset({C.DECOMMISSIONING}),
    C.DECOMMISSIONING: frozenset({C.DECOMMISSIONED}),
    C.DECOMMISSIONED: frozenset(),
}

NODE_TRANSITIONS: dict[NodeState, frozenset[NodeState]] = {
    N.PLANNED: frozenset({N.RACKED, N.DECOMMISSIONED}),
    N.RACKED: frozenset({N.PROVISIONING, N.REPAIR, N.DECOMMISSIONED}),
    N.PROVISIONING: frozenset({N.QUALIFYING, N.RACKED, N.REPAIR}),
    N.QUALIFYING: frozenset({N.READY, N.PROVISIONING, N.REPAIR}),
    N.READY: frozenset({N.CORDONED, N.DRAINING, N.REPAIR, N.PROVISIONING}),
    N.CORDONED: frozenset({N.READY, N.DRAINING, N.REPAIR, N.RMA, N.DECOMMISSIONED}),
    N.DRAINING: frozenset({N.CORDONED, N.READY, N.REPAIR, N.RMA, N.DECOMMISSIONED}),
    N.REPAIR: frozenset({N.PROVISIONING, N.QUALIFYING, N.READY, N.CORDONED, N.RMA, N.DECOMMISSIONED}),
    N.RMA: frozenset({N.RACKED, N.REPAIR, N.DECOMMISSIONED}),
    N.DECOMMISSIONED: frozenset({N.RACKED}),
}



def check_transition(kind: str, key: str, old: str, new: str) -> None:
    table: dict = CLUSTER_TRANSITIONS if kind == "cluster" else NODE_TRANSITIONS
    if old == new:
        return
    allowed = table[old]
    if new not in allowed:
        options = ", ".join(sorted(s.value for s in allowed)) or "none"
        raise InvalidTransition(
            f"{kind} {key}: field state: {old} → {new} is not allowed (from {old}: {options})"
        )
