"""The power-on step over Redfish: one-time PXE boot, power on (or restart), then poll until it is on.

Idempotent: after a crash the engine calls the first round again, which only re-sets the one-time
boot and asks for a power state the BMC is already moving to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fleetops import clock
from fleetops.adapters.redfish import FORCE_RESTART, ON, PowerControl
from fleetops.adapters.redfish.bmcs import Bmcs
from fleetops.deploy.backends import StepContext, StepResult
from fleetops.errors import ExternalError


@dataclass
class RedfishPowerOn:
    connect: Callable[[str], PowerControl]
    name: str = "redfish"
    poll_s: float = 10.0
    timeout_s: float = 900.0
    _bmcs: Bmcs = field(init=False)

    def __post_init__(self) -> None:
        self._bmcs = Bmcs(self.connect)

    def _target(self, ctx: StepContext) -> tuple[PowerControl, str]:
        return self._bmcs.system(ctx.hostname, ctx.bmc_address)

    def run(self, ctx: StepContext) -> StepResult:
        client, system = self._target(ctx)
        if ctx.first_call:
            health = client.health(system)
            if health == "Critical":
                raise ExternalError(f"node {ctx.hostname}: BMC reports health Critical", retryable=False)
            client.set_boot_once(system, "Pxe")
            client.reset(system, ON if client.power_state(system) == "Off" else FORCE_RESTART)
            return StepResult(done=False, wait_s=self.poll_s, evidence={"bmc_health": health})
        state = client.power_state(system)
        if state == "On":
            return StepResult(done=True, evidence={"power_polls": ctx.calls})
        waited = (clock.now() - (ctx.step_started_at or clock.now())).total_seconds()
        if waited > self.timeout_s:
            raise ExternalError(
                f"node {ctx.hostname}: power state {state} {waited:.0f} s after power-on", retryable=True
            )
        return StepResult(done=False, wait_s=self.poll_s)

    def power_cycle(self, ctx: StepContext) -> None:
        client, system = self._target(ctx)
        client.reset(system, FORCE_RESTART)
