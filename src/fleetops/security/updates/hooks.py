"""What updates a node and what proves it healthy afterwards: a small Protocol, a command for
production and a fake beside it for the simulator and tests."""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass, field
from typing import Protocol

from fleetops.errors import ExternalError


class UpdateHook(Protocol):
    def update(self, hostname: str, bulletin: str) -> None: ...

    def qualify(self, hostname: str) -> None: ...


@dataclass(frozen=True)
class CommandHook:
    """The operator's commands for one cluster (`[fleetops.updates]`): `update_with` gets {hostname},
    {bulletin} and {cluster}, `qualify_with` {hostname} and {cluster}. The template is split into words
    first and each word filled after, so a bulletin with spaces or quotes stays one argument and never
    reaches a shell. A non-zero exit, a timeout or a missing program fails the node."""

    update_with: str
    qualify_with: str
    cluster: str = ""
    timeout_s: float = 3600

    def _run(self, template: str, **values: str) -> None:
        argv = [word.format(cluster=self.cluster, **values) for word in shlex.split(template)]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ExternalError(f"{argv[0]}: {error}") from error
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip()[-300:]
            raise ExternalError(f"{argv[0]} exited {done.returncode}: {why}")

    def update(self, hostname: str, bulletin: str) -> None:
        self._run(self.update_with, hostname=hostname, bulletin=bulletin)

    def qualify(self, hostname: str) -> None:
        self._run(self.qualify_with, hostname=hostname)


@dataclass
class FakeHook:
    """Records what it was asked; `broken` hosts fail their qualification (the patch broke them)."""

    broken: set[str] = field(default_factory=set)
    updated: list[str] = field(default_factory=list)

    def update(self, hostname: str, bulletin: str) -> None:
        self.updated.append(hostname)

    def qualify(self, hostname: str) -> None:
        if hostname in self.broken:
            raise ExternalError(f"{hostname}: burn-in failed after the update (simulated)")
