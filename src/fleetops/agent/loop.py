"""The agent's run loop, one cycle at a time: reset or qualify when asked (or due), collect, spool, deliver,
listen.

A requested GPU reset comes first (remediation's verification, a qualification, follows it), one a cycle,
only on a GPU no process uses (agent/reset.py). Qualification (on demand or the weekly burn-in) only starts
when no workload holds a GPU, judged on the previous cycle's readings: a customer's job is never slowed.
Results ride in the same cycle's report, whose readings are then taken after the reset.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fleetops import clock
from fleetops.agent.demand import BUSY_RETRY_S, UNAVAILABLE_RETRY_S, Demand, could_not_qualify
from fleetops.agent.metrics import AgentMetrics
from fleetops.agent.node import NodeAgent
from fleetops.agent.qualify import Backend, WeeklySchedule, find_backend, gpus_idle, run_qualification
from fleetops.agent.reset import GpuResetter, ResetJournal
from fleetops.agent.scans import HostScans
from fleetops.agent.sender import Sender
from fleetops.agent.spool import Spool
from fleetops.errors import FleetopsError
from fleetops.wire import (
    GpuReading,
    GpuResetResult,
    QualificationResult,
    RequestKind,
    ResetOutcome,
    dump_report,
)

log = logging.getLogger("fleetops.agent")


@dataclass
class AgentLoop:
    agent: NodeAgent
    spool: Spool
    sender: Sender
    schedule: WeeklySchedule
    metrics: AgentMetrics | None = None
    backend: Callable[[], Backend] = find_backend
    demand: Demand = field(default_factory=Demand)
    gpus: list[GpuReading] = field(default_factory=list)
    retry_at: float = 0.0
    resetter: GpuResetter | None = None  # default: nvidia-smi, journal `gpu-resets.json` in the spool dir
    scans: HostScans | None = None  # the daily host security scans, run while the GPUs are idle

    def __post_init__(self) -> None:
        if self.resetter is None:
            self.resetter = GpuResetter(ResetJournal(self.spool.directory / "gpu-resets.json"))

    def cycle(self) -> None:
        started = time.process_time()
        resets = self.reset()
        # Just reset: the readings that judge idleness predate it, so qualify from the next cycle on.
        acted = any(result.outcome is not ResetOutcome.BUSY for result in resets)
        report = self.agent.collect(qualification=None if acted else self.qualification(), gpu_resets=resets)
        self.gpus = report.gpus
        self.spool.put(dump_report(report), str(report.report_id))
        if self.metrics is not None:
            self.metrics.observe(report, time.process_time() - started)
        if time.monotonic() >= self.retry_at:
            self.deliver()
        if self.metrics is not None:
            self.metrics.observe_spool(self.spool.status())
        if self.scans is not None:
            self.scans.tick(self.gpus)

    def deliver(self) -> None:
        result = self.sender.drain()
        if result.requests is not None:
            self.demand.update(result.requests.get(self.agent.config.hostname))
        if self.metrics is not None:
            self.metrics.sent.inc(result.delivered)
            self.metrics.poisoned.inc(result.poisoned)
        if result.error:
            if self.metrics is not None:
                self.metrics.send_errors.inc()
            delay = self.sender.backoff.next_delay()
            self.retry_at = time.monotonic() + delay
            log.warning("send failed (%s): %d spooled, retry in %.0fs", result.error, result.remaining, delay)

    def reset(self) -> list[GpuResetResult]:
        """At most one requested GPU reset a cycle (or the busy notice of one)."""
        ask = self.demand.due(clock.get().monotonic(), RequestKind.RESET_GPU)
        if ask is None or self.resetter is None:
            return []
        result = self.resetter.serve(ask, self.agent.nvml(), self.demand, clock.get().monotonic())
        return [] if result is None else [result]

    def qualification(self) -> QualificationResult | None:
        """A requested qualification first; otherwise the weekly one when due."""
        now = clock.get().monotonic()
        ask = self.demand.due(now)
        if ask is None:
            return self._weekly()
        if not gpus_idle(self.gpus):
            # A stable reason (no process count), so a changing workload is reported once, not every cycle.
            busy = any(gpu.compute_processes for gpu in self.gpus)
            why = "busy: a workload holds the GPUs" if busy else "GPUs not idle or not readable"
            return could_not_qualify(why) if self.demand.defer(ask, now, BUSY_RETRY_S, why) else None
        try:
            result = run_qualification(self.agent, self.backend(), ask.duration_s)
        except FleetopsError as exc:
            tell = self.demand.defer(ask, now, UNAVAILABLE_RETRY_S, exc.message)
            return could_not_qualify(exc.message) if tell else None
        self.demand.done(ask)
        self.schedule.mark(clock.now())  # a fresh run also resets the weekly timer
        return result

    def _weekly(self) -> QualificationResult | None:
        if not self.schedule.due(clock.now()) or not gpus_idle(self.gpus):
            return None
        try:
            result: QualificationResult | None = run_qualification(
                self.agent, self.backend(), self.agent.config.qualify_duration_s
            )
        except FleetopsError as exc:
            log.warning("weekly qualification skipped: %s", exc.message)
            result = None
        self.schedule.mark(clock.now())
        return result
