"""The node bring-up state machine as data: one transition table, one `advance()` for every change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fleetops.deploy.choices import BringupState, DecommissionState
from fleetops.errors import InvalidTransition
from fleetops.inventory.choices import NodeState

S = BringupState

# The happy path, in order: each step state is worked on by one backend until it is done.
STEPS: tuple[BringupState, ...] = (S.POWER_ON, S.PROVISIONING, S.HARDENING, S.QUALIFYING, S.JOINING)
PIPELINE: tuple[BringupState, ...] = (S.ENROLLED, *STEPS, S.READY)

FAILED_OF: dict[BringupState, BringupState] = {
    S.POWER_ON: S.FAILED_POWER_ON,
    S.PROVISIONING: S.FAILED_PROVISIONING,
    S.HARDENING: S.FAILED_HARDENING,
    S.QUALIFYING: S.FAILED_QUALIFYING,
    S.JOINING: S.FAILED_JOINING,
}
STEP_OF_FAILED = {failed: step for step, failed in FAILED_OF.items()}

FAILED = frozenset(FAILED_OF.values())
TERMINAL = frozenset({S.READY})
# States the engine works on by itself; needs_human waits for a person, ready is done.
ACTIVE = frozenset(set(PIPELINE) - TERMINAL) | FAILED | {S.RETRYING}


def _next(step: BringupState) -> BringupState:
    return PIPELINE[PIPELINE.index(step) + 1]


TRANSITIONS: dict[BringupState, frozenset[BringupState]] = {
    S.ENROLLED: frozenset({S.POWER_ON, S.NEEDS_HUMAN}),
    **{step: frozenset({_next(step), FAILED_OF[step]}) for step in STEPS},
    **{failed: frozenset({S.RETRYING, S.NEEDS_HUMAN}) for failed in FAILED},
    # Recovery resumes at any step: the same one (retry, power-cycle) or provisioning (re-image).
    S.RETRYING: frozenset({*STEPS, S.NEEDS_HUMAN}),
    # A person either sends the node back through recovery or resumes it at a step they chose.
    S.NEEDS_HUMAN: frozenset({S.RETRYING, *STEPS}),
    S.READY: frozenset(),
}

# Where the inventory node stands while its bring-up row is in each state (None: leave it as it is).
NODE_STATE_OF: dict[BringupState, NodeState | None] = {
    S.ENROLLED: None,
    S.POWER_ON: NodeState.PROVISIONING,
    S.PROVISIONING: NodeState.PROVISIONING,
    S.HARDENING: NodeState.PROVISIONING,
    S.QUALIFYING: NodeState.QUALIFYING,
    S.JOINING: NodeState.QUALIFYING,
    S.READY: NodeState.READY,
    S.NEEDS_HUMAN: NodeState.REPAIR,
    **{failed: None for failed in FAILED},
    S.RETRYING: None,
}


@dataclass(frozen=True)
class Transition:
    """One row of history: who moved which bring-up from where to where, when, and why."""

    bringup_id: int
    rollout_id: int
    at: datetime
    actor: str
    from_state: BringupState
    to_state: BringupState
    reason: str

    def row(self) -> dict[str, object]:
        return {
            "bringup_id": self.bringup_id,
            "rollout_id": self.rollout_id,
            "at": self.at,
            "actor": self.actor,
            "from_state": self.from_state.value,
            "to_state": self.to_state.value,
            "reason": self.reason[:500],
        }


def check(hostname: str, old: BringupState, new: BringupState) -> None:
    allowed = TRANSITIONS[old]
    if new not in allowed:
        options = ", ".join(sorted(s.value for s in allowed)) or "none"
        raise InvalidTransition(
            f"bring-up of node {hostname}: field state: {old} → {new} is not allowed (from {old}: {options})"
        )


def advance(
    *,
    bringup_id: int,
    rollout_id: int,
    hostname: str,
    old: BringupState,
    new: BringupState,
    at: datetime,
    actor: str,
    reason: str,
) -> Transition:
    """Check the move against the table and return the history row to write with it."""
    check(hostname, S(old), S(new))
    return Transition(bringup_id, rollout_id, at, actor, S(old), S(new), reason)


def next_state(step: BringupState) -> BringupState:
    return _next(step)


D = DecommissionState
# A cluster's teardown: drain its nodes, wipe them, release them. A run that fails stays where it failed
# (the error on the row) and is run again from there; `done` is final.
DECOMMISSION_TRANSITIONS: dict[DecommissionState, frozenset[DecommissionState]] = {
    D.DRAINING: frozenset({D.WIPING, D.FAILED}),
    D.WIPING: frozenset({D.DONE, D.FAILED}),
    D.FAILED: frozenset({D.DRAINING, D.WIPING}),
    D.DONE: frozenset(),
}


def check_decommission(cluster: str, old: DecommissionState, new: DecommissionState) -> None:
    if old != new and new not in DECOMMISSION_TRANSITIONS[old]:
        options = ", ".join(sorted(s.value for s in DECOMMISSION_TRANSITIONS[old])) or "none (final)"
        raise InvalidTransition(
            f"decommission of cluster {cluster}: field state: {old.value} → {new.value} is not allowed "
            f"(from {old.value}: {options})"
        )
