"""Kubernetes node control behind the Scheduler protocol: Ready condition, cordon, taint, evict, uncordon."""

from fleetops.adapters.slurm import NodeStatus, Scheduler

DRAIN_TAINT = "fleetops.io/drained"
DRAIN_REASON = "fleetops.io/drain-reason"

__all__ = ["DRAIN_REASON", "DRAIN_TAINT", "NodeStatus", "Scheduler"]
