"""The deployment engine: claim due bring-up rows with a lease, run one idempotent step each, write back.

One `tick()` is one claim → run → write cycle. Backend calls run in a thread pool (they wait on BMCs and
provisioning APIs, not on the CPU); everything a tick learned is written in one transaction with
set-based statements, so a worker killed at any instant either wrote a whole tick or nothing, and its
leases expire for another worker to take the same rows again.
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.db.session import Database
from fleetops.deploy import bringup, claim, fsm, progress
from fleetops.deploy.backends import Backends, StepResult, simulated_backends
from fleetops.deploy.bringup import Work
from fleetops.deploy.choices import BringupState, RecoveryAction
from fleetops.deploy.models import NodeBringup
from fleetops.errors import NotConfigured
from fleetops.workers.engines import Installed
from fleetops.workers.leases import Heartbeat

S = BringupState
B = cast(Table, NodeBringup.__table__)
ACTOR = "system:deploy-engine"


@dataclass
class Engine:
    backends: Backends
    limits: claim.Limits = field(default_factory=claim.Limits)
    owner: str = field(default_factory=lambda: f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    ticks: int = 0

    def __post_init__(self) -> None:
        self.rate = claim.RateLimiter(self.limits.backend_rate_per_s)
        self._pool = ThreadPoolExecutor(self.limits.threads) if self.limits.threads > 1 else None

    def tick(self, database: Database) -> int:
        """Run one step for every due row this worker can lease; returns how many rows it worked on."""
        self.ticks += 1
        token = f"{self.owner}:{self.ticks}"
        with database.transaction() as session:
            rows = claim.claim(session, token, self.limits)
            if not rows:
                return 0
            power_budget = claim.power_on_budget(session, rows, self.limits)
            imaging_budget = claim.provisioning_budget(session, rows, self.limits)
        now = clock.now()
        works = [Work(row, now, ACTOR) for row in rows]
        calls = [w for w in works if self._admit(w, power_budget, imaging_budget)]
        with Heartbeat(database, claim.QUEUE, token, self.limits.lease_s, active=bool(calls)):
            outcomes = self._map(self._call, calls)
        for work, outcome in zip(calls, outcomes, strict=True):
            self._apply(work, outcome)
        with database.transaction() as session:
            write(session, works, token)
        return len(works)

    def _admit(self, work: Work, power_budget: Any, imaging_budget: Any) -> bool:
        """Decide, without I/O, whether this row calls a backend now or waits for a limit."""
        state, row = work.state, work.row
        if state is S.ENROLLED:
            if power_budget[row["rack_id"]] <= 0:
                work.hold(self.limits.rack_power_on_interval_s / 2)
                return False
            power_budget[row["rack_id"]] -= 1
            work.release()
            bringup.admit(work)
            return False
        if state in fsm.FAILED:
            bringup.leftover_failure(work)
            return False
        if state is S.PROVISIONING and row["step_calls"] == 0:
            if imaging_budget[row["site_id"]] <= 0:
                work.hold(self.limits.defer_s)
                return False
            imaging_budget[row["site_id"]] -= 1
        backend = self._backend_name(work)
        if backend and not self.rate.allow(backend):
            work.hold(1.0 / self.limits.backend_rate_per_s[backend])
            return False
        work.release()
        return True

    def _backend_name(self, work: Work) -> str | None:
        if work.state is S.RETRYING:
            return (
                self.backends.power.name
                if work.values["recovery_action"] == RecoveryAction.POWER_CYCLE
                else None
            )
        return self.backends.for_step(work.state).name

    def _map(self, function: Any, items: list[Work]) -> list[Any]:
        if self._pool is None or len(items) < 2:
            return [function(item) for item in items]
        return list(self._pool.map(function, items))

    def _call(self, work: Work) -> StepResult | BaseException | None:
        """The only place backends run; any failure is returned, kept verbatim on the node's row."""
        ctx = work.context()
        try:
            if work.state is S.RETRYING:
                if work.values["recovery_action"] == RecoveryAction.POWER_CYCLE:
                    self.backends.power.power_cycle(ctx)
                return None
            return self.backends.for_step(work.state).run(ctx)
        except Exception as error:  # noqa: BLE001 - recorded on the node, which then climbs the recovery ladder
            return error

    def _apply(self, work: Work, outcome: StepResult | BaseException | None) -> None:
        step = work.step()
        if isinstance(outcome, NotConfigured):
            bringup.step_waits(work, outcome)
        elif isinstance(outcome, BaseException):
            bringup.step_failed(work, step, outcome)
        elif outcome is None:
            bringup.resume(work)
        else:
            bringup.step_done(work, outcome, self.limits.min_poll_s)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def write(session: Session, works: list[Work], owner: str) -> None:
    """Write a tick's results, only for rows this worker still leases (a lease may have expired)."""
    claim.QUEUE.write(session, works, owner, keep=lambda w: False, then=_follow)


def _follow(session: Session, written: list[Work]) -> None:
    progress.sync_nodes(session, written, ACTOR)
    progress.settle_rollouts(session, {w.row["rollout_id"] for w in written if _settles(w)}, ACTOR)


def _settles(work: Work) -> bool:
    return any(t.to_state in (S.READY, S.NEEDS_HUMAN) for t in work.transitions)


INSTALLED: Installed[Engine] = Installed("deploy", lambda: Engine(simulated_backends()))
use_engine = INSTALLED.use
tick = INSTALLED.tick  # the worker's entry point: one tick with the installed engine


__all__ = ["ACTOR", "Engine", "tick", "use_engine"]
