"""A node's emergency update as data: one transition table; `Work` carries one claimed row through a
tick and records each move, so the lease queue writes state and history together.

pending → draining → updating → qualifying → resuming → done; any working step → failed, where the
node stays drained (it is out of service and unproven) until a person looks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fleetops.errors import InvalidTransition
from fleetops.security.updates.choices import Step

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
