"""What updates a node and what proves it healthy afterwards: a small Protocol, a command for
production and a fake beside it for the simulator and tests."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Protocol

from fleetops.errors import ExternalError


class UpdateHook(Protocol):
    def update(self, hostname: str, bulletin: str) -> None: ...

    def qualify(self, hostname: str) -> None: ...


@dataclass(frozen=True)
class CommandHook:
    """Runs `update_argv + [hostname, bulletin]` and `qualify_argv + [hostname]`; non-zero is a failure."""

    update_argv: tuple[str, ...]
    qualify_argv: tuple[str, ...]
    timeout_s: float = 3600

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout_s, check=False)
        if done.returncode != 0:
            raise ExternalError(f"{argv[0]} exited {done.returncode}: {done.stderr.strip()[-300:]}")

    def update(self, hostname: str, bulletin: str) -> None:
        self._run([*self.update_argv, hostname, bulletin])

    def qualify(self, hostname: str) -> None:
        self._run([*self.qualify_argv, hostname])


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
