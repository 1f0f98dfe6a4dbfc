"""Slurm control, and the Scheduler protocol every scheduler adapter (Slurm, Kubernetes) implements.

Scheduler lives here until the adapters' protocols are consolidated into `adapters/ports.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class NodeStatus:
    """A node as its scheduler sees it; `state` is the scheduler's own word (IDLE+DRAIN, Ready...)."""

    name: str
    state: str
    accepts_work: bool
    drained: bool
    reason: str | None = None


class Scheduler(Protocol):
    """What deploy (join and wait) and remediation (drain, resume) need from a scheduler."""

    def status(self, node: str) -> NodeStatus: ...

    def drain(self, node: str, reason: str) -> None: ...

    def resume(self, node: str) -> None: ...
