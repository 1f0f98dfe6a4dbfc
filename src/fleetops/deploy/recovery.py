"""Automated recovery before a human: retry with backoff, power-cycle, re-image, then `needs_human`.

The ladder is data, so it can be read, tested and tuned in one place. Each failure of a step climbs
that step's ladder one rung, counted over the whole bring-up (`ledger`, in the row's evidence), not per
episode: a transient failure of another step, on the re-image pass say, must not hand a persistent
burn-in fault a fresh ladder, or the node loops through re-images and never reaches a human. A
non-retryable error (a failing hardening control, a BMC that does not know the system) goes straight
to a human, because repeating it cannot help.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetops.deploy.choices import BringupState, RecoveryAction

S, A = BringupState, RecoveryAction


@dataclass(frozen=True)
class Rung:
    action: RecoveryAction
    wait_s: float


LADDER: tuple[Rung, ...] = (
    Rung(A.RETRY, 60),
    Rung(A.RETRY, 300),
    Rung(A.POWER_CYCLE, 120),
    Rung(A.REIMAGE, 60),
)

# Re-imaging only makes sense once an image exists; before that the ladder ends at the power-cycle.
REIMAGE_AFTER = frozenset({S.PROVISIONING, S.HARDENING, S.QUALIFYING, S.JOINING})


@dataclass(frozen=True)
class Decision:
    action: RecoveryAction
    resume_state: BringupState | None
    wait_s: float
    reason: str


def decide(step: BringupState, attempt: int, *, retryable: bool) -> Decision:
    """What to do after failure number `attempt` (1-based) of `step` in this bring-up."""
    if not retryable:
        return Decision(A.ESCALATE, None, 0, f"{step} failed with a non-retryable error")
    rungs = [r for r in LADDER if r.action is not A.REIMAGE or step in REIMAGE_AFTER]
    if attempt > len(rungs):
        return Decision(A.ESCALATE, None, 0, f"{step} failed {attempt} times; automated recovery exhausted")
    rung = rungs[attempt - 1]
    resume = S.PROVISIONING if rung.action is A.REIMAGE else step
    return Decision(
        rung.action, resume, rung.wait_s, f"{step} failure {attempt}: {rung.action.label.lower()}"
    )
