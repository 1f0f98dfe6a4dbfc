"""An emergency update as data: the run's transition table with the one `move_run` every change of a
run goes through (a person's start, pause and resume, the engine's pause on a failure and completion),
and each node's table; `Work` carries one claimed row through a tick and records each move, so the
lease queue writes state and history together.

Run: planned → running ⇄ paused; running or paused → completed once every node is done.
Node: pending → draining → updating → qualifying → resuming → done; any working step → failed, where
the node stays drained (it is out of service and unproven) until a person looks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.errors import InvalidTransition
from fleetops.security.updates.choices import RunState, Step
from fleetops.security.updates.models import EmergencyUpdate

R = RunState
RUN_TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    R.PLANNED: frozenset({R.RUNNING}),
    R.RUNNING: frozenset({R.PAUSED, R.COMPLETED}),
    R.PAUSED: frozenset({R.RUNNING, R.COMPLETED}),
    R.COMPLETED: frozenset(),
}


def move_run(session: Session, run: EmergencyUpdate, new: RunState, actor: str, why: str) -> None:
    """The only way a run's state changes: checked against the table, dated, and audited."""
    old = R(run.state)
    if new not in RUN_TRANSITIONS[old]:
        options = ", ".join(sorted(s.value for s in RUN_TRANSITIONS[old])) or "none (final)"
        raise InvalidTransition(
            f"emergency update {run.name}: field state: {old.value} → {new.value} is not allowed "
            f"(from {old.value}: {options})"
        )
    now = clock.now()
    run.state, run.updated_at = new, now
    if old is R.PLANNED:
        run.started_at = now
    if new is R.PAUSED:
        run.reason = why
    if new is R.COMPLETED:
        run.finished_at = now
    changes = {"state": [old.value, new.value], "why": why}
    record(session, actor, Change("security_update.move", "security_update", run.name, changes))


S = Step
PIPELINE = (S.PENDING, S.DRAINING, S.UPDATING, S.QUALIFYING, S.RESUMING, S.DONE)
WORKING = frozenset(
    {S.DRAINING, S.UPDATING, S.QUALIFYING, S.RESUMING}
)  # out of service: the cap counts these
TRANSITIONS: dict[Step, frozenset[Step]] = {
    **{step: frozenset({PIPELINE[i + 1], S.FAILED}) for i, step in enumerate(PIPELINE[:-1])},
    S.DONE: frozenset(),
    S.FAILED: frozenset(),
}
TRANSITIONS[S.PENDING] = frozenset({S.DRAINING})


def check(old: Step, new: Step, hostname: str) -> None:
    if new not in TRANSITIONS[old]:
        raise InvalidTransition(
            f"update of {hostname}: field state: {old.value} → {new.value} is not allowed"
        )


@dataclass
class Move:
    update_id: int
    update_node_id: int
    hostname: str
    at: datetime
    actor: str
    from_state: Step
    to_state: Step
    reason: str

    def row(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class Work:
    """One leased row during one tick (the `Leased` protocol of `workers.leases`)."""

    row: dict[str, Any]
    now: datetime
    actor: str
    transitions: list[Move] = field(default_factory=list)

    @property
    def row_id(self) -> int:
        return int(self.row["id"])

    @property
    def state(self) -> Step:
        return S(self.row["state"])

    def move(self, new: Step, reason: str) -> None:
        check(self.state, new, self.row["hostname"])
        self.transitions.append(
            Move(
                self.row["update_id"],
                self.row_id,
                self.row["hostname"],
                self.now,
                self.actor,
                self.state,
                new,
                reason,
            )
        )
        self.row["state"] = new

    def row_update(self, owner: str, keep_lease: bool) -> dict[str, Any]:
        return {
            "w_id": self.row_id,
            "w_owner": owner,
            "state": self.row["state"],
            "last_error": self.row["last_error"],
            "due_at": self.now,
            "updated_at": self.now,
            "lease_owner": owner if keep_lease else None,
            "lease_expires_at": self.row["lease_expires_at"] if keep_lease else None,
        }
