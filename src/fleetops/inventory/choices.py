"""Inventory enumerations: orchestrators, cluster and node lifecycles."""

from __future__ import annotations

from fleetops.choices import Choice


class Orchestrator(Choice):
    KUBERNETES = "kubernetes", "Kubernetes", "green"
    SLURM_ON_KUBERNETES = "slurm-on-kubernetes", "Slurm on Kubernetes", "green"
    SLURM_BARE_METAL = "slurm-bare-metal", "Slurm bare metal (legacy, non-compliant)", "red"

    @property
    def compliant(self) -> bool:
        return self is not Orchestrator.SLURM_BARE_METAL


class ClusterState(Choice):
    PLANNED = "planned", "Planned", "grey"
    DEPLOYING = "deploying", "Deploying", "blue"
    ACTIVE = "active", "Active", "green"
    DECOMMISSIONING = "decommissioning", "Decommissioning", "orange"
    DECOMMISSIONED = "decommissioned", "Decommissioned", "grey"


class NodeState(Choice):
    PLANNED = "planned", "Planned", "grey"
    RACKED = "racked", "Racked", "grey"
    PROVISIONING = "provisioning", "Provisioning", "blue"
    QUALIFYING = "qualifying", "Qualifying", "blue"
    READY = "ready", "Ready", "green"
    CORDONED = "cordoned", "Cordoned", "orange"
    DRAINING = "draining", "Draining", "orange"
    REPAIR = "repair", "Repair", "red"
    RMA = "rma", "RMA", "red"
    DECOMMISSIONED = "decommissioned", "Decommissioned", "grey"
