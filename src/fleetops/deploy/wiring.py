"""A production engine from real adapters: Redfish power, a provisioner, the hardening gate, the agent's
burn-in and the cluster's scheduler. The worker installs it with `engine.use_engine(...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from fleetops.adapters.redfish.client import RedfishClient
from fleetops.adapters.slurm import NodeStatus, Scheduler
from fleetops.deploy.backends import Backends, Provisioner
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.hardening import results_file_gate
from fleetops.deploy.join import SchedulerJoin
from fleetops.deploy.power import RedfishPowerOn
from fleetops.deploy.qualify import AgentQualifier, results_directory
from fleetops.inventory.choices import Orchestrator


@dataclass
class Both:
    """Slurm on Kubernetes: the node must be Ready in Kubernetes and accept jobs in Slurm."""

    kubernetes: Scheduler
    slurm: Scheduler

    def status(self, node: str) -> NodeStatus:
        k8s, slurm = self.kubernetes.status(node), self.slurm.status(node)
        return NodeStatus(
            node,
            f"{k8s.state}/{slurm.state}",
            k8s.accepts_work and slurm.accepts_work,
            k8s.drained or slurm.drained,
            k8s.reason or slurm.reason,
        )

    def drain(self, node: str, reason: str) -> None:
        self.slurm.drain(node, reason)
        self.kubernetes.drain(node, reason)

    def resume(self, node: str) -> None:
        self.kubernetes.resume(node)
        self.slurm.resume(node)


def scheduler_picker(
    kubernetes: Mapping[str, Scheduler], slurm: Mapping[str, Scheduler]
) -> Callable[[str, str], Scheduler]:
    """Per-cluster adapters by cluster name; bare-metal Slurm never gets here (plans refuse it)."""

    def pick(cluster: str, orchestrator: str) -> Scheduler:
        if orchestrator == Orchestrator.SLURM_ON_KUBERNETES:
            return Both(kubernetes[cluster], slurm[cluster])
        return kubernetes[cluster]

    return pick


def production_engine(
    *,
    provisioner: Provisioner,
    hardening_results: Path,
    qualification_results: Path,
    kubernetes: Mapping[str, Scheduler],
    slurm: Mapping[str, Scheduler],
    redfish_username: str | None = None,
    redfish_password: str | None = None,
    redfish_verify: bool = True,
    limits: Limits | None = None,
    burn_in_s: float = 0.0,
) -> Engine:
    """`burn_in_s`: the per-GPU length of the agents' last qualification level (see `AgentQualifier`)."""

    def connect(base_url: str) -> RedfishClient:
        return RedfishClient(base_url, redfish_username, redfish_password, verify=redfish_verify)

    backends = Backends(
        power=RedfishPowerOn(connect=connect),
        provisioner=provisioner,
        hardening=results_file_gate(hardening_results),
        qualifier=AgentQualifier(results_directory(qualification_results), burn_in_s=burn_in_s),
        joiner=SchedulerJoin(scheduler_for=scheduler_picker(kubernetes, slurm)),
    )
    return Engine(backends, limits or Limits())
