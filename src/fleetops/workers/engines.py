"""The engine a worker task ticks, one holder for every engine (deploy, remediation).

Production wiring installs an engine on real backends (`use`); with none installed, simulated backends
run only when FLEETOPS_SIMULATE is set (the demo and the simulator), so a real rollout or repair is never
marked done by backends that touched nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from fleetops.config import settings
from fleetops.db.session import Database

log = logging.getLogger("fleetops.worker")


class Ticking(Protocol):
    def tick(self, database: Database) -> int: ...


E = TypeVar("E", bound=Ticking)


class Installed(Generic[E]):
    def __init__(self, name: str, simulated: Callable[[], E]) -> None:
        self.name, self.simulated = name, simulated
        self.engine: E | None = None

    def use(self, engine: E | None) -> E | None:
        """Install the engine the worker's tick uses; returns the one it replaces."""
        previous, self.engine = self.engine, engine
        return previous

    def tick(self, database: Database) -> int:
        if self.engine is None:
            if not settings().simulate:
                return 0
            log.warning(
                "engine on SIMULATED backends (FLEETOPS_SIMULATE is set)", extra={"engine": self.name}
            )
            self.engine = self.simulated()
        return self.engine.tick(database)
