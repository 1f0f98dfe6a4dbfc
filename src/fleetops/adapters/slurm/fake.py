"""An in-memory Slurm: nodes register (become IDLE) `join_delay_s` after resume, on the fleetops Clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetops import clock
from fleetops.adapters.slurm import NodeStatus
from fleetops.errors import ExternalError


class FakeScheduler:
    """Implements Scheduler for Slurm and Kubernetes alike; `nodes[name]` is the scheduler's state word."""

    def __init__(self, join_delay_s: float = 0.0) -> None:
        self.join_delay_s = join_delay_s
        self.nodes: dict[str, str] = {}
        self.reasons: dict[str, str] = {}
        self._joining: dict[str, datetime] = {}
        self.calls: list[tuple[str, str]] = []

    def status(self, node: str) -> NodeStatus:
        self.calls.append(("status", node))
        if node in self._joining and clock.now() >= self._joining[node]:
            self.nodes[node] = "IDLE"
            del self._joining[node]
        if node not in self.nodes:
            raise ExternalError(f"slurm fake: Node {node} not found", retryable=True)
        state = self.nodes[node]
        drained = "DRAIN" in state
        return NodeStatus(
            node,
            state,
            accepts_work=state in ("IDLE", "MIXED", "ALLOCATED"),
            drained=drained,
            reason=self.reasons.get(node),
        )

    def drain(self, node: str, reason: str) -> None:
        self.calls.append(("drain", node))
        self.nodes[node] = "IDLE+DRAIN"
        self.reasons[node] = reason

    def resume(self, node: str) -> None:
        self.calls.append(("resume", node))
        self.reasons.pop(node, None)
        if self.join_delay_s and self.nodes.get(node) != "IDLE":
            self._joining.setdefault(node, clock.now() + timedelta(seconds=self.join_delay_s))
            self.nodes.setdefault(node, "DOWN+NOT_RESPONDING")
        else:
            self.nodes[node] = "IDLE"
