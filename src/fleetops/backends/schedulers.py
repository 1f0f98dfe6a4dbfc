"""Each cluster's scheduler, from its `[fleetops.clusters.<name>]` settings: Slurm (scontrol against the
cluster's slurm.conf), Kubernetes (a kubeconfig or the pod's service account), or both for Slurm on
Kubernetes. Deploy (join), remediation (drain, resume) and decommission (drain) all pick through here.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from fleetops.adapters.slurm import NodeStatus, Scheduler
from fleetops.backends.settings import ClusterBackends, Kubernetes
from fleetops.errors import NotConfigured


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


def _kubernetes(settings: Kubernetes) -> Scheduler:
    from fleetops.adapters.kubernetes.client import KubernetesClient

    if settings.in_cluster:
        from kubernetes import client, config

        config.load_incluster_config()
        return KubernetesClient(client.ApiClient())
    return KubernetesClient.from_kubeconfig(settings.kubeconfig, settings.context)


def build(backends: ClusterBackends, orchestrator: str) -> Scheduler:
    from fleetops.adapters.slurm.client import SlurmClient

    slurm = SlurmClient(backends.slurm.conf, bin_dir=backends.slurm.bin_dir) if backends.slurm else None
    kubernetes = _kubernetes(backends.kubernetes) if backends.kubernetes else None
    if orchestrator == "slurm-on-kubernetes" and slurm and kubernetes:
        return Both(kubernetes, slurm)
    chosen = kubernetes if orchestrator == "kubernetes" else slurm
    assert chosen is not None  # `missing_for` was empty
    return chosen


@dataclass
class Schedulers:
    """`pick(cluster, orchestrator)`: one client per cluster, made on first use; a cluster with no
    settings, or without the scheduler its orchestrator needs, raises NotConfigured (its work waits)."""

    clusters: Mapping[str, ClusterBackends]
    _made: dict[str, Scheduler] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, cluster: str, orchestrator: str) -> Scheduler:
        with self._lock:
            if cluster in self._made:
                return self._made[cluster]
            backends = self.clusters.get(cluster)
            missing = ["slurm or kubernetes"] if backends is None else backends.missing_for(orchestrator)
            if missing:
                raise NotConfigured(
                    f"cluster {cluster}: no {' and '.join(missing)} scheduler in "
                    f"[fleetops.clusters.{cluster}] ({orchestrator})"
                )
            assert backends is not None
            self._made[cluster] = build(backends, orchestrator)
            return self._made[cluster]
