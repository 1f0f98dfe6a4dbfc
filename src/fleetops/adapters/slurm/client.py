"""Slurm through its own commands (`scontrol`, `sinfo`) with `SLURM_CONF`, as an operator would.

Errors carry Slurm's own message; a controller that does not answer is retryable, an unknown node
or a refused update is not.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from fleetops.adapters.slurm import NodeStatus
from fleetops.errors import ExternalError

# Base states in which slurmctld schedules jobs on a node, when no flag (DRAIN, DOWN...) says otherwise.
SCHEDULABLE = frozenset({"IDLE", "MIXED", "ALLOCATED", "COMPLETING"})
BLOCKING_FLAGS = frozenset(
    {
        "DRAIN",
        "DRAINING",
        "DRAINED",
        "DOWN",
        "FAIL",
        "NOT_RESPONDING",
        "POWERED_DOWN",
        "POWERING_UP",
        "REBOOT_REQUESTED",
        "INVALID_REG",
        "MAINTENANCE",
        "RESERVED",
    }
)
UNREACHABLE = ("Unable to contact slurm controller", "Socket timed out", "Connection refused")


def parse_show_node(text: str) -> dict[str, str]:
    """`scontrol show node NAME -o`: one line of Key=Value pairs; Reason= runs to the end of the line."""
    fields: dict[str, str] = {}
    head, _, reason = text.strip().partition(" Reason=")
    for token in head.split():
        key, sep, value = token.partition("=")
        if sep:
            fields[key] = value
    if reason:
        fields["Reason"] = reason.strip()
    return fields


def status_from_fields(name: str, fields: dict[str, str]) -> NodeStatus:
    state = fields.get("State", "UNKNOWN")
    parts = set(state.replace("*", "+NOT_RESPONDING").split("+"))
    base = state.split("+")[0].rstrip("*")
    drained = bool(parts & {"DRAIN", "DRAINING", "DRAINED"}) or base in ("DRAINED", "DRAINING")
    accepts = base in SCHEDULABLE and not (parts & BLOCKING_FLAGS)
    return NodeStatus(
        name=name, state=state, accepts_work=accepts, drained=drained, reason=fields.get("Reason")
    )


class SlurmClient:
    def __init__(self, slurm_conf: str | None = None, *, bin_dir: str = "", timeout_s: float = 30) -> None:
        self.env = {**os.environ, **({"SLURM_CONF": slurm_conf} if slurm_conf else {})}
        self.bin_dir = bin_dir
        self.timeout_s = timeout_s

    def _run(self, command: str, args: Sequence[str]) -> str:
        argv = [os.path.join(self.bin_dir, command) if self.bin_dir else command, *args]
        try:
            done = subprocess.run(
                argv, env=self.env, capture_output=True, text=True, timeout=self.timeout_s, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ExternalError(f"slurm {' '.join(argv)}: {error}", retryable=True) from error
        if done.returncode != 0:
            message = (done.stderr or done.stdout).strip()
            raise ExternalError(
                f"slurm {' '.join(argv)}: {message}", retryable=any(m in message for m in UNREACHABLE)
            )
        return done.stdout

    def status(self, node: str) -> NodeStatus:
        return status_from_fields(node, parse_show_node(self._run("scontrol", ["show", "node", node, "-o"])))

    def drain(self, node: str, reason: str) -> None:
        self._run("scontrol", ["update", f"nodename={node}", "state=drain", f"reason={reason}"])

    def resume(self, node: str) -> None:
        """Undrain; Slurm refuses to resume a node that is not drained or down, which is already done."""
        current = self.status(node)
        if current.drained or "DOWN" in current.state:
            self._run("scontrol", ["update", f"nodename={node}", "state=resume"])

    def drain_reasons(self) -> dict[str, str]:
        """`sinfo -R`: every drained or down node with its reason."""
        out = self._run("sinfo", ["-R", "-h", "-N", "-o", "%N|%E"])
        return {n: r for n, _, r in (line.partition("|") for line in out.splitlines() if line.strip())}
