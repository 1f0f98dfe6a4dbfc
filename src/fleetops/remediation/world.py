"""The simulated world on disk: the fakes' state (drained nodes, GPU resets under way, BMC power, tickets)
saved after every executor call and loaded at start, so a worker killed and restarted finds the world
as a real one would leave it.

Kept in memory only, a restarted demo worker found every node it had drained back in service and cancelled
11 of 12 runs in flight as "returned to service by a person"; the twelfth reset its GPU twice.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fleetops.adapters.redfish.fake import FakeSystem
from fleetops.remediation.executors import Executors
from fleetops.remediation.fakes import FakeWorld


def snapshot(world: FakeWorld) -> dict[str, Any]:
    notices, gpu = world.notices, world.gpu
    return {
        "scheduler": {"nodes": world.scheduler.nodes, "calls": world.scheduler.calls},
        "gpu": {
            "resets": gpu.resets,
            "until": [[node, index, at.isoformat()] for (node, index), at in gpu._until.items()],
        },
        "bmcs": {
            base: {
                path: {
                    "power": system.power,
                    "pending": [system.pending[0], system.pending[1].isoformat()] if system.pending else None,
                    "resets": system.resets,
                }
                for path, system in bmc._systems.items()
            }
            for base, bmc in world.bmcs.items()
        },
        "notices": {
            "tickets": notices.tickets,
            "status": notices.status,
            "opened": [[t, host, at.isoformat()] for t, host, at in notices.opened],
            "reopened": notices.reopened,
            "told": [[t, host, list(lines)] for t, host, lines in notices.told],
            "messages": notices.messages,
            "pages": notices.pages,
        },
        "verifier": {"started": world.verifier.started, "fail_once": sorted(world.verifier.fail_once)},
    }


def restore(world: FakeWorld, data: dict[str, Any]) -> None:
    world.scheduler.nodes = dict(data["scheduler"]["nodes"])
    world.scheduler.calls = [tuple(c) for c in data["scheduler"]["calls"]]
    world.gpu.resets = [tuple(r) for r in data["gpu"]["resets"]]
    world.gpu._until = {(node, index): datetime.fromisoformat(at) for node, index, at in data["gpu"]["until"]}
    for base, systems in data["bmcs"].items():
        bmc = world.bmc(base)
        for path, state in systems.items():
            pending = state["pending"]
            bmc._systems[path] = FakeSystem(
                power=state["power"],
                pending=(pending[0], datetime.fromisoformat(pending[1])) if pending else None,
                resets=list(state["resets"]),
            )
            world.systems[base] = bmc._systems[path]
    notices = data["notices"]
    world.notices.tickets = {k: tuple(v) for k, v in notices["tickets"].items()}
    world.notices.status = dict(notices["status"])
    world.notices.opened = [(t, host, datetime.fromisoformat(at)) for t, host, at in notices["opened"]]
    world.notices.reopened = [tuple(r) for r in notices["reopened"]]
    world.notices.told = [(t, host, tuple(lines)) for t, host, lines in notices.get("told", [])]
    world.notices.messages = [tuple(m) for m in notices["messages"]]
    world.notices.pages = dict(notices["pages"])
    world.verifier.started = list(data["verifier"]["started"])
    world.verifier.fail_once = set(data["verifier"]["fail_once"])


class _Saved:
    """Proxies one fake: each call is followed by a save of the whole world."""

    def __init__(self, target: Any, save: Any) -> None:
        self._target, self._save = target, save

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            finally:
                self._save()

        return call


@dataclass
class DurableWorld:
    """A FakeWorld whose state lives in `path` (JSON, replaced atomically after every executor call)."""

    path: Path
    world: FakeWorld = field(default_factory=FakeWorld)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.path.exists():
            restore(self.world, json.loads(self.path.read_text()))

    def save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            scratch = self.path.with_suffix(f".{os.getpid()}.tmp")
            scratch.write_text(json.dumps(snapshot(self.world)))
            os.replace(scratch, self.path)

    def executors(self) -> Executors:
        made = self.world.executors()
        return Executors(
            lambda cluster, orchestrator: _Saved(made.schedulers(cluster, orchestrator), self.save),
            _Saved(made.gpu, self.save),
            _Saved(made.power, self.save),
            _Saved(made.notices, self.save),
        )

    @property
    def verifier(self) -> Any:
        return _Saved(self.world.verifier, self.save)
