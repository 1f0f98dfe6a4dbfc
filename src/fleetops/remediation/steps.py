"""One action, one call: what each action does on its first call and how it polls until done.

Every action is idempotent across a crash: the engine records `step_calls` before it calls, so a resumed
step polls (is the node drained? is the GPU back? is the BMC showing On?) instead of acting twice, and
a step whose effect never happened times out and is started again as a new attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fleetops import clock
from fleetops.errors import ExternalError
from fleetops.remediation import verify
from fleetops.remediation.choices import ActionKind
from fleetops.remediation.executors import Executors, Target
from fleetops.remediation.verify import Verifier

A = ActionKind


@dataclass(frozen=True)
class Timing:
    """Poll intervals and the longest each action may take before it counts as failed (Clock seconds)."""

    poll_s: dict[ActionKind, float] = field(
        default_factory=lambda: {A.RESET_GPU: 15, A.REBOOT_NODE: 60, A.POWER_CYCLE: 60, A.VERIFY: 30}
    )
    timeout_s: dict[ActionKind, float] = field(
        default_factory=lambda: {
            A.DRAIN: 600,
            A.RESET_GPU: 600,
            A.REBOOT_NODE: 1800,
            A.POWER_CYCLE: 1800,
            A.VERIFY: 1800,
        }
    )
    settle_s: float = 60  # a BMC shows On before the OS is up: wait at least this long after a restart
    ticket_poll_s: float = 900  # a supplier's repair takes hours to days: read the ticket back this often


@dataclass(frozen=True)
class Call:
    target: Target
    action: ActionKind
    first_call: bool
    started_at: datetime
    attempt: int
    drained_by_us: bool
    ticket: str | None = None  # set once the run is handed over: the call reads the ticket back
    evidence: tuple[str, ...] = ()  # faults seen since the ticket was written: told on the ticket first


@dataclass
class Result:
    done: bool
    wait_s: float = 0.0
    detail: str = ""
    passed: bool = True
    ticket: str | None = None
    resumed: bool = False


def _waited(call: Call) -> float:
    return (clock.now() - call.started_at).total_seconds()


def _timed_out(call: Call, timing: Timing, what: str) -> None:
    limit = timing.timeout_s.get(call.action, 1800)
    if _waited(call) > limit:
        raise ExternalError(
            f"node {call.target.hostname}: {what} not done {limit:g} s after it started", retryable=True
        )


def perform(call: Call, ex: Executors, verifier: Verifier, timing: Timing) -> Result:
    t, action = call.target, call.action
    if action is A.DRAIN:
        scheduler = ex.scheduler(t)
        if call.first_call or not scheduler.status(t.hostname).drained:
            _timed_out(call, timing, "drain")
            scheduler.drain(t.hostname, f"fleetops remediation run {t.run_id}: {t.reason}"[:200])
        return Result(True, detail=f"drained in {t.orchestrator}")
    if action is A.RESET_GPU:
        if call.first_call:
            ex.gpu.reset(t.hostname, t.gpu_index)
            return Result(False, timing.poll_s[A.RESET_GPU], f"GPU {t.gpu_index} reset requested")
        if ex.gpu.done(t.hostname, t.gpu_index):
            return Result(True, detail=f"GPU {t.gpu_index} reset")
        _timed_out(call, timing, "GPU reset")
        return Result(False, timing.poll_s[A.RESET_GPU])
    if action in (A.REBOOT_NODE, A.POWER_CYCLE):
        return _power(call, ex, timing)
    if action is A.CHECK_POWER:
        state = ex.power.power_state(t)
        return Result(True, detail=f"BMC power state {state}")
    if action in (A.RMA_TICKET, A.CONTACT_SUPPLIER) and call.ticket:
        return _await_repair(call, ex, timing)
    if action in (A.RMA_TICKET, A.CONTACT_SUPPLIER):
        kind = "rma" if action is A.RMA_TICKET else "supplier"
        ticket = ex.notices.open_ticket(t, kind, t.reason, f"fleetops-remediation-{t.run_id}")
        return Result(
            True, detail=f"{kind} ticket {ticket} opened with {t.supplier or 'the supplier'}", ticket=ticket
        )
    if action is A.NOTIFY_CUSTOMER:
        ex.notices.tell_customer(t, t.reason, f"fleetops-remediation-{t.run_id}")
        return Result(True, detail="customer told: no node action needed")
    return _verify(call, ex, verifier, timing)


def _await_repair(call: Call, ex: Executors, timing: Timing) -> Result:
    """The supplier's side of a handed-over run: their closing the ticket is the repair. The first call
    after a repair that did not hold sends it back on the same ticket (the reason in `target.reason`);
    faults seen since the ticket was written go on it as a comment before it is read back."""
    ticket = call.ticket
    assert ticket is not None
    if call.evidence:
        ex.notices.tell_supplier(ticket, call.target.hostname, call.evidence)
    if call.first_call:
        ex.notices.reopen(ticket, call.target.reason)
        return Result(False, timing.ticket_poll_s, f"ticket {ticket} reopened: {call.target.reason}")
    if ex.notices.repaired(ticket):
        return Result(True, detail=f"the supplier closed ticket {ticket}: verifying the repair")
    return Result(False, timing.ticket_poll_s, f"ticket {ticket} still open")


def _power(call: Call, ex: Executors, timing: Timing) -> Result:
    t = call.target
    if call.first_call:
        if call.action is A.POWER_CYCLE:
            ex.power.power_cycle(t)
        else:
            # A second attempt after a graceful restart that never came back forces it.
            ex.power.restart(t, force=call.attempt > 0)
        return Result(False, timing.poll_s[call.action], f"{call.action.value} requested from the BMC")
    state = ex.power.power_state(t)
    if state == "On" and _waited(call) >= timing.settle_s:
        return Result(True, detail=f"BMC shows power On after {_waited(call):.0f} s")
    _timed_out(call, timing, call.action.value)
    return Result(False, timing.poll_s[call.action], f"BMC power state {state}")


def _verify(call: Call, ex: Executors, verifier: Verifier, timing: Timing) -> Result:
    t = call.target
    verdict = verify.check(
        verifier, t, call.first_call, call.started_at, _waited(call), timing.timeout_s[A.VERIFY]
    )
    if not verdict.done:
        return Result(False, timing.poll_s[A.VERIFY], verdict.detail)
    if not verdict.passed:
        return Result(True, detail=verdict.detail, passed=False)
    if call.drained_by_us:
        ex.scheduler(t).resume(t.hostname)  # the adapter resumes only a drained node
        return Result(True, detail=f"{verdict.detail}; node resumed", resumed=True)
    return Result(True, detail=verdict.detail, resumed=True)
