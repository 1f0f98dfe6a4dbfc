"""What one claimed bring-up row becomes after its step: the pure part of the engine, no I/O.

`Work` holds the row's new values and the history rows to write; the engine runs the backend call and
hands the outcome here, then writes every `Work` of a tick in one set-based transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fleetops.deploy import fsm, ledger, recovery
from fleetops.deploy.backends import StepContext, StepResult
from fleetops.deploy.choices import BringupState, RecoveryAction
from fleetops.errors import FleetopsError, NotConfigured

S = BringupState
WRITTEN = (
    "state",
    "step_started_at",
    "step_calls",
    "power_on_at",
    "due_at",
    "failed_step",
    "attempt",
    "resume_state",
    "recovery_action",
    "failures",
    "recovered",
    "escalations",
    "last_error",
    "evidence",
    "ready_at",
)
MAX_HISTORY = 10
LAST_ERRORS = 3
NOT_CONFIGURED_RETRY_S = 60.0  # how soon a step waiting for configuration looks again


@dataclass
class Work:
    row: dict[str, Any]
    now: datetime
    actor: str
    values: dict[str, Any] = field(default_factory=dict)
    transitions: list[fsm.Transition] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.values = {key: self.row[key] for key in WRITTEN}
        self.values["evidence"] = dict(self.row["evidence"] or {})

    @property
    def state(self) -> BringupState:
        return S(self.values["state"])

    def move(self, new: BringupState, reason: str) -> None:
        self.transitions.append(
            fsm.advance(
                bringup_id=self.row["id"],
                rollout_id=self.row["rollout_id"],
                hostname=self.row["hostname"],
                old=self.state,
                new=new,
                at=self.now,
                actor=self.actor,
                reason=reason,
            )
        )
        self.values["state"] = new.value
        if new in fsm.STEPS:
            ledger.count(self.values["evidence"], new, ledger.RUNS)
        if new in fsm.STEPS or new is S.READY:
            self.values.update(step_calls=0, step_started_at=None)

    def defer(self, seconds: float) -> None:
        self.values["due_at"] = self.now + timedelta(seconds=seconds)

    def hold(self, seconds: float) -> None:
        """A limit holds this row back: wait, and keep the hold's length on the row (see `ledger`)."""
        ledger.hold(self.values["evidence"], self.step(), self.now)
        self.defer(seconds)

    def release(self) -> None:
        ledger.release(self.values["evidence"], self.step(), self.now)

    def step(self) -> BringupState:
        """The step this row works on: its state, or while retrying the step it goes back to."""
        state = S(self.values["state"])
        if state is S.RETRYING:
            return S(self.values["resume_state"] or self.values["failed_step"])
        return state

    def context(self) -> StepContext:
        step = self.step()
        return StepContext(
            bringup_id=self.row["id"],
            hostname=self.row["hostname"],
            node_id=self.row["node_id"],
            bmc_address=self.row["bmc_address"],
            gpu_model=self.row["gpu_model"],
            gpu_count=self.row["gpu_count"],
            cluster=self.row["cluster"],
            orchestrator=str(self.row["orchestrator"]),
            image=self.row["image"],
            profile=self.row["profile"],
            step=step,
            attempt=max(1, int(ledger.read(self.values["evidence"], step, ledger.RUNS))),
            calls=self.values["step_calls"],
            step_started_at=self.values["step_started_at"] or self.now,
        )

    @property
    def row_id(self) -> int:
        return int(self.row["id"])

    def row_update(self, owner: str, keep_lease: bool = False) -> dict[str, Any]:
        return {
            "w_id": self.row["id"],
            "w_owner": owner,
            **self.values,
            "updated_at": self.now,
            "lease_owner": owner if keep_lease else None,
            "lease_expires_at": self.row["lease_expires_at"] if keep_lease else None,
        }


def admit(work: Work) -> None:
    """Enrolled → power_on: the node joins the pipeline (the rack's power-on budget was checked)."""
    work.values["power_on_at"] = work.now
    work.move(S.POWER_ON, "admitted: rack power-on budget available")


def step_waits(work: Work, missing: NotConfigured) -> None:
    """No backend is configured for this step (no BMC credentials for the site, no scheduler for the
    cluster): the node stays where it is, saying why, until the operator configures one. Not a failure:
    the recovery ladder cannot fix configuration, and a person must not find it "done"."""
    work.values["last_error"] = missing.message
    work.values["evidence"]["waiting"] = missing.message
    work.defer(NOT_CONFIGURED_RETRY_S)


def step_done(work: Work, result: StepResult, limits_min_poll_s: float) -> None:
    step = work.state
    work.values["evidence"].pop("waiting", None)
    if result.evidence:
        work.values["evidence"].update(result.evidence)
    if not result.done:
        work.values["step_calls"] += 1
        work.values["step_started_at"] = work.values["step_started_at"] or work.now
        work.defer(max(result.wait_s, limits_min_poll_s))
        return
    reason = f"{step} done"
    if work.values["failed_step"] == step.value:
        work.values.update(failed_step=None, attempt=0)
        reason += ": recovered automatically"
    following = fsm.next_state(step)
    work.move(following, reason)
    work.values["due_at"] = work.now
    if following is S.READY:
        # One node, counted once: it failed at least once and got here without a person.
        recovered = work.values["failures"] > 0 and work.values["escalations"] == 0
        work.values.update(ready_at=work.now, recovered=int(recovered))


def describe(error: BaseException) -> str:
    """The backend's own message, kept verbatim for the node's record and the human queue."""
    if isinstance(error, FleetopsError):
        return error.message
    return f"{type(error).__name__}: {error}"


def step_failed(work: Work, step: BringupState, error: BaseException) -> None:
    """Record the failure, then climb the recovery ladder (or escalate)."""
    message = describe(error)
    values = work.values
    attempt = ledger.count(values["evidence"], step, ledger.FAILURES)
    values.update(
        failed_step=step.value, attempt=attempt, failures=values["failures"] + 1, last_error=message
    )
    if work.state is not S.RETRYING:
        work.move(fsm.FAILED_OF[step], message)
    retryable = isinstance(error, FleetopsError) and error.retryable or not isinstance(error, FleetopsError)
    decision = recovery.decide(step, values["attempt"], retryable=retryable)
    entry = {
        "at": work.now.isoformat(),
        "step": step.value,
        "attempt": values["attempt"],
        "error": message,
        "action": decision.action.value,
    }
    if isinstance(error, FleetopsError) and error.details:
        entry["details"] = error.details
    history = [*values["evidence"].get("failures", []), entry][-MAX_HISTORY:]
    values["evidence"]["failures"] = history
    escalate_or_retry(work, decision)


def escalate_or_retry(work: Work, decision: recovery.Decision) -> None:
    if decision.action is RecoveryAction.ESCALATE:
        work.values["escalations"] += 1
        work.values.update(resume_state=work.values["failed_step"], recovery_action=None)
        work.values["evidence"]["escalation"] = escalation(work.values)
        work.move(S.NEEDS_HUMAN, f"{decision.reason}: {work.values['last_error']}")
        work.values["due_at"] = work.now
        return
    if work.state is not S.RETRYING:
        work.move(S.RETRYING, decision.reason)
    work.values.update(
        resume_state=decision.resume_state.value if decision.resume_state else None,
        recovery_action=decision.action.value,
    )
    work.defer(decision.wait_s)


def escalation(values: dict[str, Any]) -> dict[str, Any]:
    """What the person on the human queue reads first: which step, how many times, the last errors."""
    history = values["evidence"].get("failures", [])
    return {
        "step": values["failed_step"],
        "step_failures": values["attempt"],
        "failures": values["failures"],
        "last_errors": [f"{entry['step']}: {entry['error']}" for entry in history[-LAST_ERRORS:]],
    }


def leftover_failure(work: Work) -> None:
    """A row found in failed_<step> (a worker died between the two moves): decide again, count nothing."""
    step = fsm.STEP_OF_FAILED[work.state]
    decision = recovery.decide(step, max(1, work.values["attempt"]), retryable=True)
    escalate_or_retry(work, decision)


def resume(work: Work) -> None:
    """Retrying is due (power-cycle already done by the engine): go back to the step chosen."""
    target = S(work.values["resume_state"])
    action = work.values["recovery_action"]
    work.values.update(recovery_action=None, resume_state=None)
    work.move(target, f"resuming at {target} after {action}")
    work.values["due_at"] = work.now
