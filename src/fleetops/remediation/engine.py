"""The remediation engine: claim due runs with a lease, run one idempotent step each, write back.

One `tick()` is three short phases. (1) In one transaction: lease due runs, read the safety gates, decide
(quarantine, defer, cancel, escalate) and record the intent of every executor call (`step_calls`). (2) Out
of any transaction: call the executors (Slurm, Kubernetes, BMC, tickets), in a thread pool. (3) In one
transaction: write results and history set-based, only for runs this worker still leases. A worker killed
in (2) leaves intents behind: when its lease expires, the next worker polls what was started instead of
starting it again, so no step is repeated or skipped.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.config import settings
from fleetops.db.session import Database
from fleetops.errors import ExternalError, NotConfigured
from fleetops.health import service as health
from fleetops.remediation import evidence, fsm, ladder, nodes
from fleetops.remediation import safety as safety_gates
from fleetops.remediation.choices import ActionKind, Outcome, RunState
from fleetops.remediation.claim import QUEUE, Limits, claim
from fleetops.remediation.executors import Executors, Target
from fleetops.remediation.policy import HANDOVER, NODE_ACTIONS, Policy, default_policy
from fleetops.remediation.steps import Call, Result, Timing, perform
from fleetops.remediation.verify import HealthVerifier, Verifier, VerifierUnavailable
from fleetops.remediation.work import Work
from fleetops.workers.engines import Installed
from fleetops.workers.leases import Heartbeat

log = logging.getLogger("fleetops.remediation")
S, A = RunState, ActionKind
ACTOR = "system:remediation-engine"
NOT_CONFIGURED_RETRY_S = 60.0  # how soon a run waiting for configuration looks again


class Cancelled(Exception):
    """A person took the node back (uncordon / resume) while the run held it."""


@dataclass
class Engine:
    executors: Executors
    verifier: Verifier = field(default_factory=HealthVerifier)
    policy: Policy = field(default_factory=default_policy)
    limits: Limits = field(default_factory=Limits)
    safety: safety_gates.Limits = field(default_factory=safety_gates.Limits)
    timing: Timing = field(default_factory=Timing)
    owner: str = field(default_factory=lambda: f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    ticks: int = 0

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(self.limits.threads) if self.limits.threads > 1 else None
        self._paged: set[tuple[str, int, object]] = set()

    def tick(self, database: Database) -> int:
        """Run one step for every due run this worker can lease; returns how many runs it worked on."""
        self.ticks += 1
        token = f"{self.owner}:{self.ticks}"[:100]
        now = clock.now()
        self._page_trips(database)
        with database.transaction() as session:
            rows = claim(session, token, now, self.limits)
            if not rows:
                return 0
            evidence.attach(session, rows)
            gates = safety_gates.load_gates(
                session, self.safety, now, {r["cluster_id"] for r in rows if r["cluster_id"]}
            )
            works = [Work(row, now, ACTOR) for row in rows]
            for work in works:
                self._decide(work, gates)
            safety_gates.write_trips(session, gates)
            self._close_repaired(session, works)
            self._write(session, works, token, keep=lambda w: w.call is not None)
        calling = [w for w in works if w.call is not None]
        with Heartbeat(database, QUEUE, token, self.limits.lease_s, active=bool(calling)):
            outcomes = self._map(calling)
        for work, outcome in zip(calling, outcomes, strict=True):
            self._apply(work, outcome)
        if calling:
            with database.transaction() as session:
                self._close_repaired(session, calling)
                self._write(session, calling, token, keep=lambda w: False)
        self._page([p for w in works for p in w.pages])
        return len(works)

    def _page_trips(self, database: Database) -> None:
        """Page once for each breaker tripped (here or by intake, which trips before runs exist)."""
        with database.transaction() as session:
            tripped = safety_gates.open_breakers(session)
        fresh = [b for b in tripped if (b.scope, b.subject_id, b.tripped_at) not in self._paged]
        self._page(
            [
                (f"circuit breaker {b.scope} {b.subject_id}: {b.reason}", f"breaker-{b.scope}-{b.subject_id}")
                for b in fresh
            ]
        )
        self._paged.update((b.scope, b.subject_id, b.tripped_at) for b in fresh)

    @staticmethod
    def _write(session: Session, works: list[Work], token: str, keep: Callable[[Work], bool]) -> None:
        """Write a phase back; the nodes of the runs that moved follow them in the inventory."""

        def follow(session: Session, written: list[Work]) -> None:
            nodes.follow(session, [w.node_move() for w in written if w.transitions], ACTOR)

        QUEUE.write(session, works, token, keep, then=follow)

    @staticmethod
    def _close_repaired(session: Session, works: list[Work]) -> None:
        """Verified repairs close the health findings they dealt with, so the node reads healthy again."""
        for work in works:
            if work.state is S.RESOLVED and work.get("verified_at") is not None:
                acted = work.get("acted_at") or work.now
                why = f"remediation run {work.run_id}: repaired and verified under load"
                health.resolve_repaired(session, ACTOR, work.row["node_id"], acted, why)

    # Phase 1: decisions without I/O.
    def _decide(self, work: Work, gates: safety_gates.Gates) -> None:
        settings = gates.for_cluster(work.row["cluster_id"])
        if work.state is S.ESCALATED:
            self._read_ticket(work, settings)
            return
        if work.state is S.PENDING and not self._admit(work, gates, settings):
            return
        if gates.kill:
            work.defer(self.safety.defer_s, "kill switch on: no action until a person turns it off")
            return
        action = work.action
        if action is None:
            self._finish(work)
            return
        approver = work.get("approved_by") or ""
        if action.value in settings.approval_required and approver.startswith("policy:"):
            work.defer(3600, f"waiting for a person to approve {action.value} (cluster settings)")
            return
        if work.get("dry_run"):
            self._dry_run(work)
            return
        if work.state is not fsm.STATE_OF[action]:
            work.move(fsm.STATE_OF[action], action=action.value, outcome=Outcome.WAITING, detail="started")
        first = work.get("step_calls") == 0
        started = work.now if first else work.get("step_started_at")
        work.values |= {"step_calls": work.get("step_calls") + 1, "step_started_at": started}
        work.call = Call(
            self._target(work, settings),
            action,
            first,
            started,
            work.get("attempts"),
            bool(work.get("drained_by_us")),
        )

    def _admit(self, work: Work, gates: safety_gates.Gates, settings: safety_gates.Settings) -> bool:
        """The safety gates between a fault and a node: True when the run may quarantine it now."""
        if work.get("human") and not work.plan:
            work.escalate(work.row["reason"])
            return False
        if not settings.enabled:
            work.move(
                S.CANCELLED,
                outcome=Outcome.SKIPPED,
                detail="remediation is off for this cluster (customer setting): no action taken",
            )
            return False
        if gates.kill:
            work.defer(self.safety.defer_s, "kill switch on: no action until a person turns it off")
            return False
        window_end = settings.window_end(work.now)
        if window_end is not None:
            seconds = max(1.0, (window_end - work.now).total_seconds())
            work.defer(seconds, f"node in a maintenance window until {window_end.isoformat()}")
            return False
        if settings.allowed_actions is not None:
            refused = [a for a in work.plan if a not in settings.allowed_actions]
            if refused:
                work.escalate(f"cluster settings do not allow {', '.join(refused)}")
                return False
        blocked = gates.blocked(work.row)
        if blocked:
            work.defer(self.safety.defer_s, blocked)
            return False
        gates.admit(work.row)
        dry = gates.dry_run or settings.dry_run
        work.move(
            S.QUARANTINED,
            approver=f"policy:{work.row['rule']}",
            detail=f"{'dry run: ' if dry else ''}plan {work.plan}",
        )
        work.values |= {
            "quarantined_at": work.now,
            "approved_by": work.get("approved_by") or f"policy:{work.row['rule']}",
            "dry_run": dry,
            "last_error": None,
        }
        return True

    def _read_ticket(self, work: Work, settings: safety_gates.Settings) -> None:
        """A run handed to the supplier reads its ticket back; its first call after a repair that did not
        hold sends it back on the same ticket, with the reason."""
        first = work.get("step_calls") == 0
        target = self._target(work, settings)
        if first:
            target = replace(target, reason=work.get("last_error") or target.reason)
        handover = next((A(a) for a in reversed(work.plan) if A(a) in HANDOVER), A.RMA_TICKET)
        work.values["step_calls"] = work.get("step_calls") + 1
        work.call = Call(
            target,
            handover,
            first,
            work.now,
            0,
            bool(work.get("drained_by_us")),
            work.get("ticket"),
            work.row.get("evidence", ()),
        )

    def _dry_run(self, work: Work) -> None:
        for name in work.plan[work.get("step") :]:
            action = A(name)
            if work.state is not fsm.STATE_OF[action]:
                work.move(fsm.STATE_OF[action], action=name, outcome=Outcome.DRY_RUN, detail="dry run")
            work.note(Outcome.DRY_RUN, f"would {action.label.lower()}", action=name)
        work.values["step"] = len(work.plan)
        work.move(S.RESOLVED, outcome=Outcome.DRY_RUN, detail="dry run: recorded what would have been done")

    def _target(self, work: Work, settings: safety_gates.Settings) -> Target:
        row = work.row
        return Target(
            run_id=work.run_id,
            hostname=row["hostname"],
            node_id=row["node_id"],
            bmc_address=row["bmc_address"],
            gpu_index=row["gpu_index"],
            orchestrator=str(row["orchestrator"] or "slurm-bare-metal"),
            cluster=row["cluster"] or "",
            supplier=row["supplier"] or "",
            customer=row.get("customer") or "",
            reason=row["reason"],
            notify=settings.notify,
        )

    # Phase 2: the only place executors run.
    def _map(self, works: list[Work]) -> list[Result | BaseException]:
        if self._pool is None or len(works) < 2:
            return [self._call(w) for w in works]
        return list(self._pool.map(self._call, works))

    def _call(self, work: Work) -> Result | BaseException:
        call = work.call
        assert call is not None
        try:
            if call.drained_by_us and call.action is not A.DRAIN and self._uncordoned(call.target):
                return Cancelled("node returned to service by a person (uncordon / resume): run cancelled")
            return perform(call, self.executors, self.verifier, self.timing)
        except Exception as error:  # noqa: BLE001 - recorded on the run, retried, escalated; never dropped
            return error

    def _uncordoned(self, target: Target) -> bool:
        """A node we drained that is no longer drained was resumed by a person (scontrol / uncordon)."""
        return not self.executors.scheduler(target).status(target.hostname).drained

    # Phase 3: results into the run.
    def _apply(self, work: Work, outcome: Result | BaseException) -> None:
        call = work.call
        assert call is not None
        action = call.action.value
        if isinstance(outcome, Cancelled):
            work.move(S.CANCELLED, action=action, outcome=Outcome.SKIPPED, detail=str(outcome))
            work.values["human"] = True
            work.returned = True
            return
        if work.state is S.ESCALATED:
            self._supplier_answer(work, outcome)
            return
        if isinstance(outcome, BaseException):
            self._failed(work, outcome)
            return
        if not outcome.done:
            work.values["due_at"] = work.now + timedelta(seconds=outcome.wait_s)
            if call.first_call:
                work.note(Outcome.WAITING, outcome.detail, action=action, started_at=call.started_at)
            return
        if not outcome.passed:
            work.note(Outcome.FAILED, outcome.detail, action=action, started_at=call.started_at)
            self._climb(work, outcome.detail)
            return
        work.note(Outcome.OK, outcome.detail, action=action, started_at=call.started_at)
        stamps = {A.DRAIN: "drained_at", A.VERIFY: "verified_at"}
        work.values[stamps.get(call.action, "acted_at")] = work.now
        if call.action is A.DRAIN:
            work.values["drained_by_us"] = True
        if outcome.ticket:
            work.values |= {"ticket": outcome.ticket, "told": work.row["findings"]}
        if outcome.resumed:
            work.values["back_in_service_at"] = work.now
            work.returned = True
        work.values |= {
            "step": work.get("step") + 1,
            "step_calls": 0,
            "attempts": 0,
            "last_error": None,
            "due_at": work.now,
        }
        if work.action is None:
            self._finish(work)

    def _supplier_answer(self, work: Work, outcome: Result | BaseException) -> None:
        """The ticket read back: still open (look again later), or closed, which is the supplier's repair:
        verify it under load before the node goes back (the acted stamp moves to the repair)."""
        call = work.call
        assert call is not None
        if isinstance(outcome, BaseException):
            message = getattr(outcome, "message", None) or f"{type(outcome).__name__}: {outcome}"
            work.defer(self.timing.ticket_poll_s, f"ticket {call.ticket} not read: {message}"[:2000])
            return
        if call.evidence:
            work.values["told"] = work.row["findings"]
            told = f"told the supplier on ticket {call.ticket}: {'; '.join(call.evidence)}"
            work.note(Outcome.OK, told[:1000])
        if not outcome.done:
            work.values["due_at"] = work.now + timedelta(seconds=outcome.wait_s)
            if call.first_call:
                work.note(Outcome.WAITING, outcome.detail, action=call.action.value)
            return
        plan = [*work.plan, A.VERIFY.value]
        work.move(S.VERIFYING, action=call.action.value, detail=outcome.detail)
        work.values |= {
            "plan": plan,
            "step": len(plan) - 1,
            "step_calls": 0,
            "attempts": 0,
            "acted_at": work.now,
            "due_at": work.now,
            "last_error": None,
        }

    def _failed(self, work: Work, error: BaseException) -> None:
        call = work.call
        assert call is not None
        if isinstance(error, NotConfigured):
            self._waits(work, error)
            return
        retryable = isinstance(error, ExternalError) and error.retryable
        attempts = work.get("attempts") + 1
        message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        work.values |= {"attempts": attempts, "last_error": message[:2000], "step_calls": 0}
        work.note(
            Outcome.FAILED,
            f"attempt {attempts}: {message}",
            action=call.action.value,
            started_at=call.started_at,
        )
        if isinstance(error, VerifierUnavailable):
            work.escalate(message)
            return
        if retryable and attempts < self.limits.max_attempts:
            delay = min(self.limits.backoff_max_s, self.limits.backoff_s * 2 ** (attempts - 1))
            work.values["due_at"] = work.now + timedelta(seconds=delay)
            return
        self._climb(work, message)

    def _waits(self, work: Work, missing: NotConfigured) -> None:
        """No backend is configured for this step (a cluster without a scheduler, a site without BMC
        credentials): the run holds its step, saying why once, and looks again; no attempt is spent and
        no bigger hammer is chosen, since neither can fix configuration."""
        call = work.call
        assert call is not None
        if work.get("last_error") != missing.message:
            work.note(Outcome.WAITING, missing.message, action=call.action.value, started_at=call.started_at)
        work.values |= {
            "last_error": missing.message[:2000],
            "step_calls": 0,
            "due_at": work.now + timedelta(seconds=NOT_CONFIGURED_RETRY_S),
        }

    def _climb(self, work: Work, why: str) -> None:
        ticket = work.get("ticket")
        if ticket:
            # Handed over once already: no bigger hammer of ours, the same ticket goes back to the supplier.
            work.move(
                S.ESCALATED, outcome=Outcome.FAILED, detail=f"back to the supplier on ticket {ticket}: {why}"
            )
            work.values |= {"step_calls": 0, "due_at": work.now, "last_error": why[:2000]}
            return
        plan = ladder.climb(self.policy, work.plan, work.get("step"), bool(work.get("drained_by_us")))
        if plan is None:
            work.escalate(f"{work.action.value if work.action else 'step'} failed and no rung is left: {why}")
            return
        step = work.get("step") + 1
        work.values |= {
            "plan": plan,
            "step": step,
            "step_calls": 0,
            "attempts": 0,
            "rung": work.get("rung") + 1,
            "due_at": work.now,
        }
        work.note(Outcome.FAILED, f"climbing the ladder to {plan[step]}: {why}")

    def _finish(self, work: Work) -> None:
        plan = work.plan
        last = A(plan[-1]) if plan else None
        if last in HANDOVER:
            # Handed over, not ended: the ticket is read back until the supplier closes it (`_read_ticket`).
            work.move(S.ESCALATED, detail=f"handed to the supplier: ticket {work.get('ticket')}")
            work.values |= {
                "step_calls": 1,
                "due_at": work.now + timedelta(seconds=self.timing.ticket_poll_s),
            }
            return
        node_action = any(A(a) in NODE_ACTIONS or A(a) is A.DRAIN for a in plan)
        if node_action and work.get("back_in_service_at") is None:
            work.values["back_in_service_at"] = work.now
            work.returned = True
        work.move(S.RESOLVED, detail="resolved without a person" if not work.get("human") else "resolved")

    def _page(self, pages: list[tuple[str, str]]) -> None:
        for summary, key in pages:
            try:
                self.executors.notices.page(summary, key)
            except ExternalError as error:
                log.error("page failed", extra={"summary": summary, "error": error.message})

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _simulated() -> Engine:
    from fleetops.remediation.world import DurableWorld

    world = DurableWorld(Path(settings().sim_state))
    return Engine(world.executors(), verifier=world.verifier)


INSTALLED: Installed[Engine] = Installed("remediation", _simulated)
use_engine = INSTALLED.use
tick = INSTALLED.tick  # the worker's entry point: one tick with the installed engine


__all__ = ["ACTOR", "Engine", "Limits", "claim", "tick", "use_engine"]
