"""A worker process for the crash test: ticks the engine until it is killed (SIGKILL, no clean-up)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from fleetops.db.session import Database
from fleetops.deploy.backends import StepContext, StepResult, simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine


@dataclass
class SlowStep:
    """Instant work that takes a little real time, so a kill lands between a claim and its write."""

    name: str
    delay_s: float

    def run(self, ctx: StepContext) -> StepResult:
        time.sleep(self.delay_s)
        return StepResult(done=True)

    def power_cycle(self, ctx: StepContext) -> None:
        time.sleep(self.delay_s)


def slow_engine(delay_s: float, lease_s: float) -> Engine:
    backends = simulated_backends()
    for step in ("power", "provisioner", "hardening", "qualifier", "joiner"):
        setattr(backends, step, SlowStep(step, delay_s))
    return Engine(backends, Limits(batch=40, threads=1, lease_s=lease_s, rack_power_on_burst=0))


if __name__ == "__main__":
    database = Database(sys.argv[1])
    engine = slow_engine(float(sys.argv[2]), lease_s=30)
    print("started", flush=True)
    while True:
        engine.tick(database)
