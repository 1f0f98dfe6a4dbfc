"""In-memory executors for tests and the simulator: actions take realistic time on the fleetops Clock.

GPU reset ~1 min, reboot ~10 min (the fake BMC's power-on delay), and every call is recorded, so a test
can say "drained exactly once" after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fleetops import clock
from fleetops.adapters.redfish.fake import FakeRedfish, FakeSystem
from fleetops.adapters.slurm import NodeStatus
from fleetops.errors import ExternalError
from fleetops.remediation.executors import Executors, RedfishPower, Target

IN_SERVICE, DRAINED = "in_service", "drained"


@dataclass
class FakeScheduler:
    """Implements the Scheduler port; nodes are in service until drained; `fail_next` makes calls fail."""

    nodes: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_next: int = 0
    retryable: bool = True

    def _maybe_fail(self, what: str, node: str) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise ExternalError(f"scheduler refused {what} of {node}", retryable=self.retryable)

    def drain(self, node: str, reason: str) -> None:
        self._maybe_fail("drain", node)
        self.calls.append(("drain", node))
        self.nodes[node] = DRAINED

    def resume(self, node: str) -> None:
        self._maybe_fail("resume", node)
        self.calls.append(("resume", node))
        self.nodes[node] = IN_SERVICE

    def state(self, node: str) -> str:
        return self.nodes.get(node, IN_SERVICE)

    def status(self, node: str) -> NodeStatus:
        drained = self.state(node) == DRAINED
        return NodeStatus(
            node, "IDLE+DRAIN" if drained else "IDLE", accepts_work=not drained, drained=drained
        )

    def count(self, what: str, node: str | None = None) -> int:
        return sum(1 for w, n in self.calls if w == what and (node is None or n == node))


@dataclass
class FakeGpu:
    duration_s: float = 60.0
    broken: set[str] = field(default_factory=set)
    resets: list[tuple[str, int | None]] = field(default_factory=list)
    _until: dict[tuple[str, int | None], datetime] = field(default_factory=dict)

    def reset(self, node: str, gpu_index: int | None) -> None:
        self.resets.append((node, gpu_index))
        self._until[(node, gpu_index)] = clock.now() + timedelta(seconds=self.duration_s)

    def done(self, node: str, gpu_index: int | None) -> bool:
        until = self._until.get((node, gpu_index))
        return until is not None and clock.now() >= until


@dataclass
class FakeNotices:
    """Tickets the supplier works: `close` is their repair done; `opened` is every ticket with its node and
    time, so a soak can count tickets per fault."""

    tickets: dict[str, tuple[str, str]] = field(default_factory=dict)
    messages: list[tuple[str, str]] = field(default_factory=list)
    pages: dict[str, str] = field(default_factory=dict)
    fail_next: int = 0
    status: dict[str, str] = field(default_factory=dict)
    opened: list[tuple[str, str, datetime]] = field(default_factory=list)
    reopened: list[tuple[str, str]] = field(default_factory=list)
    told: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)

    def _maybe_fail(self) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise ExternalError("jira answered 503", retryable=True)

    def open_ticket(self, target: Target, kind: str, summary: str, key: str) -> str:
        self._maybe_fail()
        if key not in self.tickets:
            self.tickets[key] = (kind, f"{target.hostname}: {summary}")
            ticket = f"RMA-{len(self.tickets)}"
            self.status[ticket] = "open"
            self.opened.append((ticket, target.hostname, clock.now()))
        return f"RMA-{list(self.tickets).index(key) + 1}"

    def close(self, ticket: str) -> None:
        """The supplier repaired the node and closed the ticket."""
        self.status[ticket] = "done"

    def repaired(self, ticket: str) -> bool:
        self._maybe_fail()
        return self.status.get(ticket) == "done"

    def reopen(self, ticket: str, why: str) -> None:
        self._maybe_fail()
        self.status[ticket] = "open"
        self.reopened.append((ticket, why))

    def tell_supplier(self, ticket: str, hostname: str, evidence: tuple[str, ...]) -> None:
        self._maybe_fail()
        self.told.append((ticket, hostname, evidence))

    def tell_customer(self, target: Target, text: str, key: str) -> None:
        self.messages.append((target.hostname, text))

    def page(self, summary: str, key: str) -> None:
        self.pages.setdefault(key, summary)


@dataclass
class FakeVerifier:
    """Agent reports and qualifications: nodes pass after `duration_s` unless listed in `failing`."""

    # The real agent's verify round: the request rides the answer to its next 30 s report, 60 s of load on
    # every GPU at once (`agent.qualify.run_qualification`), the result rides the report after.
    duration_s: float = 120.0
    failing: set[str] = field(default_factory=set)
    fail_once: set[str] = field(default_factory=set)
    started: list[str] = field(default_factory=list)

    def start(self, target: Target) -> None:
        self.started.append(target.hostname)

    def result(self, target: Target, since: datetime) -> bool | None:
        if (clock.now() - since).total_seconds() < self.duration_s:
            return None
        if target.hostname in self.fail_once:
            self.fail_once.discard(target.hostname)
            return False
        return target.hostname not in self.failing


@dataclass
class FakeWorld:
    """One set of fakes wired together, as the tests and `fleetops sim day` use them."""

    scheduler: FakeScheduler = field(default_factory=FakeScheduler)
    gpu: FakeGpu = field(default_factory=FakeGpu)
    reboot_s: float = 600.0
    bmcs: dict[str, FakeRedfish] = field(default_factory=dict)
    systems: dict[str, FakeSystem] = field(default_factory=dict)
    notices: FakeNotices = field(default_factory=FakeNotices)
    verifier: FakeVerifier = field(default_factory=FakeVerifier)

    def bmc(self, base: str) -> FakeRedfish:
        """The fake BMC at `base` (one system, powered on), made on first use like a real connection."""
        if base not in self.bmcs:
            self.bmcs[base] = FakeRedfish(delay_s=self.reboot_s)
            self.systems[base] = self.bmcs[base].add("/redfish/v1/Systems/1", power="On")
        return self.bmcs[base]

    def resets(self, hostname: str) -> list[str]:
        base = f"https://bmc-{hostname}"
        self.bmc(base)
        return self.systems[base].resets

    def executors(self) -> Executors:
        power = RedfishPower(connect=self.bmc)
        return Executors(lambda cluster, orchestrator: self.scheduler, self.gpu, power, self.notices)
