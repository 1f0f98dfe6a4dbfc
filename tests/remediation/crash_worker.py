"""A remediation worker process for the crash tests: the production engine on the durable simulated
world, fast fake durations, and one executor call that, once done and saved, hangs until SIGKILL.

    python -m tests.remediation.crash_worker DATABASE_URL STATE_PATH STAGE   # STAGE: drain|reset|ticket|none
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from fleetops.db.session import Database
from fleetops.remediation.choices import ActionKind as A
from fleetops.remediation.claim import Limits
from fleetops.remediation.engine import Engine
from fleetops.remediation.fakes import FakeGpu, FakeVerifier, FakeWorld
from fleetops.remediation.steps import Timing
from fleetops.remediation.world import DurableWorld

LEASE_S = 1.0
FAST = Timing(poll_s={A.RESET_GPU: 0.1, A.REBOOT_NODE: 0.1, A.POWER_CYCLE: 0.1, A.VERIFY: 0.1}, settle_s=0.1)


def hang_after(durable: DurableWorld, owner: object, name: str) -> None:
    """The call happens in the world and is saved, as a real drain is done in Slurm, then the worker hangs."""
    real = getattr(owner, name)

    def hanging(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)
        durable.save()
        print(f"inside {name}", flush=True)
        time.sleep(3600)
        return result

    setattr(owner, name, hanging)


def main(url: str, state: str, stage: str) -> None:
    world = FakeWorld(gpu=FakeGpu(duration_s=0.2), verifier=FakeVerifier(duration_s=0.2), reboot_s=0.2)
    durable = DurableWorld(Path(state), world)
    targets = {
        "drain": (world.scheduler, "drain"),
        "reset": (world.gpu, "reset"),
        "ticket": (world.notices, "open_ticket"),
    }
    if stage in targets:
        hang_after(durable, *targets[stage])
    engine = Engine(
        durable.executors(), verifier=durable.verifier, limits=Limits(lease_s=LEASE_S, threads=1), timing=FAST
    )
    database = Database(url)
    print("started", flush=True)
    while True:
        engine.tick(database)
        time.sleep(0.05)


if __name__ == "__main__":
    main(*sys.argv[1:4])
