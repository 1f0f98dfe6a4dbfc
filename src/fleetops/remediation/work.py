"""One claimed run during one engine tick: what it decided, the history rows it wrote, what it will write.

No I/O here: the engine loads the row, `Work` collects changes (`values`) and history (`transitions`), and
the engine writes them back set-based at the end of the tick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fleetops.remediation import fsm
from fleetops.remediation.choices import ActionKind, Outcome, RunState
from fleetops.remediation.nodes import Move
from fleetops.remediation.policy import HANDOVER
from fleetops.remediation.steps import Call

S = RunState
# The run columns a tick may change; every one is written back for every row (one executemany).
WRITTEN = (
    "state",
    "plan",
    "step",
    "step_calls",
    "step_started_at",
    "attempts",
    "rung",
    "drained_by_us",
    "dry_run",
    "human",
    "approved_by",
    "due_at",
    "last_error",
    "ticket",
    "told",
    "quarantined_at",
    "drained_at",
    "acted_at",
    "verified_at",
    "finished_at",
    "back_in_service_at",
    "rule",
    "reason",
)


@dataclass
class Work:
    row: dict[str, Any]
    now: datetime
    actor: str
    values: dict[str, Any] = field(default_factory=dict)
    transitions: list[fsm.Transition] = field(default_factory=list)
    call: Call | None = None
    pages: list[tuple[str, str]] = field(default_factory=list)
    returned: bool = False  # this tick put the node back in service (verified and resumed, or by a person)

    def get(self, key: str) -> Any:
        return self.values.get(key, self.row[key])

    @property
    def state(self) -> RunState:
        return S(self.get("state"))

    @property
    def plan(self) -> list[str]:
        return list(self.get("plan"))

    @property
    def action(self) -> ActionKind | None:
        step, plan = self.get("step"), self.plan
        return ActionKind(plan[step]) if step < len(plan) else None

    @property
    def run_id(self) -> int:
        return int(self.row["id"])

    row_id = run_id

    def move(
        self,
        new: RunState,
        *,
        action: str | None = None,
        outcome: Outcome = Outcome.OK,
        detail: str = "",
        approver: str | None = None,
        started_at: datetime | None = None,
    ) -> None:
        self.transitions.append(
            fsm.advance(
                run_id=self.run_id,
                hostname=self.row["hostname"],
                old=self.state,
                new=new,
                at=self.now,
                actor=self.actor,
                action=action,
                outcome=outcome.value,
                detail=detail,
                approver=approver,
                started_at=started_at,
            )
        )
        self.values["state"] = new.value
        if new in fsm.TERMINAL:
            self.values["finished_at"] = self.now

    def note(
        self, outcome: Outcome, detail: str, action: str | None = None, started_at: datetime | None = None
    ) -> None:
        """A history row without a state change (a retry, a deferral, a dry-run step)."""
        self.transitions.append(
            fsm.Transition(
                self.run_id,
                self.now,
                self.actor,
                self.state,
                self.state,
                action,
                outcome.value,
                detail,
                None,
                started_at,
            )
        )

    def defer(self, seconds: float, why: str) -> None:
        """Wait and look again; the reason is written once, not on every look."""
        self.values["due_at"] = self.now + timedelta(seconds=seconds)
        if self.get("last_error") != why:
            self.values["last_error"] = why
            self.note(Outcome.DEFERRED, why)

    def escalate(self, why: str) -> None:
        """Hand the run to a person: it stops here and the on-call is paged."""
        self.move(S.ESCALATED, outcome=Outcome.FAILED, detail=why)
        self.values["human"] = True
        self.values["last_error"] = why
        self.pages.append(
            (
                f"remediation run {self.run_id} on {self.row['hostname']} needs a person: {why}",
                f"fleetops-remediation-{self.run_id}",
            )
        )

    def node_move(self) -> Move:
        """Where the run stands, for the node to follow; a handed-over run is on its hand-over action."""
        action = self.action
        if self.state is S.ESCALATED and self.get("ticket"):
            action = next((ActionKind(a) for a in reversed(self.plan) if ActionKind(a) in HANDOVER), None)
        why = self.transitions[-1].detail if self.transitions else ""
        return Move(
            self.row["node_id"], self.row["hostname"], self.run_id, self.state, action, self.returned, why
        )

    def row_update(self, owner: str | None, keep_lease: bool) -> dict[str, Any]:
        values = {key: self.get(key) for key in WRITTEN}
        values["updated_at"] = self.now
        values["lease_owner"] = owner if keep_lease else None
        values["lease_expires_at"] = self.row["lease_expires_at"] if keep_lease else None
        values["w_id"] = self.run_id
        values["w_owner"] = owner
        return values
