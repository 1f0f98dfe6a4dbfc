"""An in-memory Kubernetes for the Scheduler protocol: the same fake as Slurm's."""

from __future__ import annotations

from fleetops.adapters.slurm.fake import FakeScheduler

FakeKubernetes = FakeScheduler

__all__ = ["FakeKubernetes"]
