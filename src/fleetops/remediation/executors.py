"""The small interfaces remediation acts through, and their implementations over the shared adapters.

NodeScheduler (the shared `fleetops.adapters.slurm.Scheduler` port: Slurm's `SlurmClient` runs
`scontrol update nodename=... state=drain|resume`; Kubernetes will cordon, taint and evict), GpuReset
(through the node's agent: `AgentGpuReset`), NodePower (BMC over Redfish) and Notices (supplier RMA
tickets, customer messages, pages). Executors raise `fleetops.errors.ExternalError` with `retryable` set;
the engine records every failure on the run, retries with backoff and escalates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from fleetops.adapters.redfish import FORCE_RESTART, GRACEFUL_RESTART, POWER_CYCLE, PowerControl
from fleetops.adapters.redfish.bmcs import Bmcs
from fleetops.adapters.slurm import Scheduler
from fleetops.db.session import Database, get_database
from fleetops.errors import ExternalError
from fleetops.health import service as health
from fleetops.wire import ResetOutcome

# The shared scheduler port (Slurm today, Kubernetes next): status / drain / resume.
NodeScheduler = Scheduler


@dataclass(frozen=True)
class Target:
    """Everything an executor needs to know about the node a run acts on."""

    run_id: int
    hostname: str
    node_id: int
    bmc_address: str | None = None
    gpu_index: int | None = None
    orchestrator: str = "slurm-bare-metal"
    cluster: str = ""
    supplier: str = ""
    customer: str = ""
    reason: str = ""
    notify: dict[str, Any] = field(default_factory=dict)


class GpuReset(Protocol):
    """`reset` starts a reset of one GPU (None: every GPU of the node) and returns; `done` is polled until
    True, or raises ExternalError when the reset failed or was refused."""

    def reset(self, node: str, gpu_index: int | None) -> None: ...

    def done(self, node: str, gpu_index: int | None) -> bool: ...


class NodePower(Protocol):
    def power_state(self, target: Target) -> str: ...

    def restart(self, target: Target, *, force: bool) -> None: ...

    def power_cycle(self, target: Target) -> None: ...


class Notices(Protocol):
    """Tickets and messages; idempotent by `key` (the run), so a resumed step never opens a second one.

    A ticket is the supplier's side of the fault's one life: `repaired` reads back whether they closed it,
    `reopen` sends a repair that did not hold back on the same ticket with the reason, and `tell_supplier`
    adds what health saw since the ticket was written.
    """

    def open_ticket(self, target: Target, kind: str, summary: str, key: str) -> str: ...

    def repaired(self, ticket: str) -> bool: ...

    def reopen(self, ticket: str, why: str) -> None: ...

    def tell_supplier(self, ticket: str, hostname: str, evidence: tuple[str, ...]) -> None: ...

    def tell_customer(self, target: Target, text: str, key: str) -> None: ...

    def page(self, summary: str, key: str) -> None: ...


@dataclass
class Executors:
    """The executors one engine uses. `schedulers(cluster, orchestrator)` picks the node's cluster's
    scheduler (`backends.schedulers.Schedulers` in production; it raises NotConfigured for a cluster
    with none, and the run waits)."""

    schedulers: Callable[[str, str], NodeScheduler]
    gpu: GpuReset
    power: NodePower
    notices: Notices

    def scheduler(self, target: Target) -> NodeScheduler:
        return self.schedulers(target.cluster, target.orchestrator)


@dataclass
class RedfishPower:
    """NodePower over the shared Redfish adapter (`fleetops.adapters.redfish.PowerControl`)."""

    connect: Callable[[str], PowerControl]
    _bmcs: Bmcs = field(init=False)

    def __post_init__(self) -> None:
        self._bmcs = Bmcs(self.connect)

    def _system(self, target: Target) -> tuple[PowerControl, str]:
        return self._bmcs.system(target.hostname, target.bmc_address)

    def power_state(self, target: Target) -> str:
        client, system = self._system(target)
        return client.power_state(system)

    def restart(self, target: Target, *, force: bool) -> None:
        client, system = self._system(target)
        client.reset(system, FORCE_RESTART if force else GRACEFUL_RESTART)

    def power_cycle(self, target: Target) -> None:
        """PowerCycle where the BMC offers it; a BMC that refuses it for good gets ForceRestart."""
        client, system = self._system(target)
        try:
            client.reset(system, POWER_CYCLE)
        except ExternalError as error:
            if error.retryable:
                raise
            client.reset(system, FORCE_RESTART)


@dataclass
class AgentGpuReset:
    """GpuReset through the node's agent, on the channel that carries qualification requests: a request
    row (`health.service.request_gpu_reset`) rides back in the answer to the agent's next report, the agent
    resets the GPU once no process uses it (`nvidia-smi -r`) and reports the outcome with a later report.
    No SSH into GPU nodes: their firewalls let only the agent's HTTPS out.

    The engine calls executors outside any transaction (phase 2 of `engine.tick`), so each call opens a
    short one of its own, as the verifier does; `database` defaults to the process's (`get_database()`).
    A failed or refused reset is not retried here (the agent already retried a busy GPU for its bound):
    the error is final, so the ladder climbs at once."""

    database: Database | None = None
    actor: str = "system:remediation-engine"

    def reset(self, node: str, gpu_index: int | None) -> None:
        which = "every GPU" if gpu_index is None else f"GPU {gpu_index}"
        with (self.database or get_database()).transaction() as session:
            health.request_gpu_reset(session, node, gpu_index, self.actor, f"remediation: reset {which}")

    def done(self, node: str, gpu_index: int | None) -> bool:
        with (self.database or get_database()).transaction() as session:
            answer = health.gpu_reset(session, node, gpu_index)
        which = "every GPU" if gpu_index is None else f"GPU {gpu_index}"
        if answer is None:  # a worker killed between its intent and the request: start a new attempt
            raise ExternalError(f"node {node}: no reset request for {which} on record", retryable=True)
        if answer.open:
            return False
        if answer.outcome == ResetOutcome.OK:
            return True
        raise ExternalError(
            f"node {node}: reset of {which} {answer.outcome} (agent request {answer.id}): "
            f"{answer.detail or 'no reason given'}",
            retryable=False,
        )
