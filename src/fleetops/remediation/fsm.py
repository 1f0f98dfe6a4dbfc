"""The remediation run state machine as data: one transition table, one `advance()` for every change.

pending → quarantined → draining → acting → verifying → resolved | escalated | cancelled. A failed action
or verification climbs the ladder (verifying → acting again); a run that needs no drain goes from
quarantined straight to acting; a notify-only run (application fault) resolves from quarantined.

A run is the fault's one life: `escalated` hands it over (to the supplier on a ticket, or to a person) but
does not end it, so a re-report of the same condition is evidence on it, never a second run or ticket. It
ends when the repair is verified (escalated → verifying → resolved) or a person closes it (cancelled).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fleetops.errors import InvalidTransition
from fleetops.remediation.choices import ActionKind, RunState

S = RunState
A = ActionKind

TERMINAL = frozenset({S.RESOLVED, S.CANCELLED})
OPEN = frozenset(set(S) - TERMINAL)  # the fault is still someone's: ours, the supplier's or a person's
ACTIVE = OPEN - {S.ESCALATED}  # the engine works on it
_END = frozenset({S.RESOLVED, S.ESCALATED, S.CANCELLED})

TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    S.PENDING: frozenset({S.QUARANTINED, S.ESCALATED, S.CANCELLED}),
    S.QUARANTINED: frozenset({S.DRAINING, S.ACTING, S.VERIFYING}) | _END,
    S.DRAINING: frozenset({S.ACTING, S.VERIFYING}) | _END,
    # Climbing the ladder from an undrained run (XID 48 alone: reset, verify) drains before rebooting.
    S.ACTING: frozenset({S.ACTING, S.DRAINING, S.VERIFYING}) | _END,
    S.VERIFYING: frozenset({S.ACTING, S.DRAINING}) | _END,
    # The supplier closed the ticket or a person marked the repair done: verify before the node goes back.
    S.ESCALATED: frozenset({S.VERIFYING, S.RESOLVED, S.CANCELLED}),
    S.RESOLVED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Which state a run is in while it works on each action.
STATE_OF: dict[ActionKind, RunState] = {
    A.DRAIN: S.DRAINING,
    A.VERIFY: S.VERIFYING,
    **{a: S.ACTING for a in ActionKind if a not in (A.DRAIN, A.VERIFY)},
}


@dataclass(frozen=True)
class Transition:
    """One history row: who moved which run from where to where, when, doing what, with what outcome."""

    run_id: int
    at: datetime
    actor: str
    from_state: RunState
    to_state: RunState
    action: str | None
    outcome: str
    detail: str
    approver: str | None = None
    started_at: datetime | None = None

    def row(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "at": self.at,
            "started_at": self.started_at,
            "actor": self.actor,
            "approver": self.approver,
            "from_state": self.from_state.value,
            "to_state": self.to_state.value,
            "action": self.action,
            "outcome": self.outcome,
            "detail": self.detail[:1000],
        }


def check(run_id: int, hostname: str, old: RunState, new: RunState) -> None:
    if old == new and old in (S.DRAINING, S.VERIFYING, S.QUARANTINED, S.PENDING, S.ESCALATED):
        return  # a step row without a state change (a retry, a deferral) is always allowed
    allowed = TRANSITIONS[old]
    if new not in allowed:
        options = ", ".join(sorted(s.value for s in allowed)) or "none (terminal)"
        raise InvalidTransition(
            f"remediation run {run_id} of node {hostname}: field state: {old} → {new} is not allowed "
            f"(from {old}: {options})"
        )


def advance(
    *,
    run_id: int,
    hostname: str,
    old: RunState,
    new: RunState,
    at: datetime,
    actor: str,
    action: str | None = None,
    outcome: str = "ok",
    detail: str = "",
    approver: str | None = None,
    started_at: datetime | None = None,
) -> Transition:
    """Check the move against the table and return the history row to write with it."""
    check(run_id, hostname, S(old), S(new))
    return Transition(run_id, at, actor, S(old), S(new), action, outcome, detail, approver, started_at)
