"""The join step: make the node schedulable in its cluster's scheduler and wait until it accepts work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fleetops import clock
from fleetops.adapters.slurm import Scheduler
from fleetops.deploy.backends import StepContext, StepResult
from fleetops.errors import ExternalError


@dataclass
class SchedulerJoin:
    """`scheduler_for(cluster, orchestrator)` picks the node cluster's adapter (Slurm or Kubernetes)."""

    scheduler_for: Callable[[str, str], Scheduler]
    name: str = "scheduler"
    poll_s: float = 15.0
    timeout_s: float = 1800.0

    def run(self, ctx: StepContext) -> StepResult:
        scheduler = self.scheduler_for(ctx.cluster, ctx.orchestrator)
        if ctx.first_call:
            scheduler.resume(ctx.hostname)
            return StepResult(done=False, wait_s=self.poll_s)
        waited = (clock.now() - (ctx.step_started_at or clock.now())).total_seconds()
        try:
            status = scheduler.status(ctx.hostname)
        except ExternalError:
            if waited > self.timeout_s:
                raise
            return StepResult(done=False, wait_s=self.poll_s)  # not registered yet: keep waiting
        if status.accepts_work:
            return StepResult(done=True, evidence={"scheduler_state": status.state})
        if waited > self.timeout_s:
            raise ExternalError(
                f"node {ctx.hostname}: scheduler state {status.state} after {waited:.0f} s "
                f"({status.reason or 'no reason given'})",
                retryable=True,
            )
        return StepResult(done=False, wait_s=self.poll_s)
