"""The agent's run loop, one cycle at a time: qualify when asked or due, collect, spool, deliver, listen.

Qualification (on demand or the weekly burn-in) only starts when no workload holds a GPU, judged on the
previous cycle's readings: a customer's job is never slowed. Its result rides in the same cycle's report.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fleetops import clock
from fleetops.agent.demand import BUSY_RETRY_S, UNAVAILABLE_RETRY_S, Demand
from fleetops.agent.metrics import AgentMetrics
from fleetops.agent.node import NodeAgent
from fleetops.agent.qualify import Backend, WeeklySchedule, find_backend, gpus_idle, run_qualification
from fleetops.agent.sender import Sender
from fleetops.agent.spool import Spool
from fleetops.errors import FleetopsError
from fleetops.wire import GpuReading, QualificationResult, dump_report

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

    def cycle(self) -> None:
        started = time.process_time()
        report = self.agent.collect(qualification=self.qualification())
        self.gpus = report.gpus
        self.spool.put(dump_report(report), str(report.report_id))
        if self.metrics is not None:
            self.metrics.observe(report, time.process_time() - started)
        if time.monotonic() >= self.retry_at:
            self.deliver()
        if self.metrics is not None:
            self.metrics.observe_spool(self.spool.status())

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
            return self.demand.defer(ask, now, BUSY_RETRY_S, why)
        try:
            result = run_qualification(self.agent, self.backend(), ask.duration_s)
        except FleetopsError as exc:
            return self.demand.defer(ask, now, UNAVAILABLE_RETRY_S, exc.message)
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
