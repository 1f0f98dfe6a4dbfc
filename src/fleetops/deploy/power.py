"""The power-on step over Redfish: one-time PXE boot, power on (or restart), then poll until it is on.

Idempotent: after a crash the engine calls the first round again, which only re-sets the one-time
boot and asks for a power state the BMC is already moving to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fleetops import clock
from fleetops.adapters.redfish import FORCE_RESTART, ON, PowerControl
from fleetops.deploy.backends import StepContext, StepResult
from fleetops.errors import ExternalError


def locate(bmc_address: str) -> tuple[str, str | None]:
    """`https://bmc-x` (its only system) or `http://host:port/redfish/v1/Systems/ID` (one of many)."""
    parts = urlsplit(bmc_address if "://" in bmc_address else f"https://{bmc_address}")
    base = f"{parts.scheme}://{parts.netloc}"
    return base, parts.path if parts.path.startswith("/redfish/v1/Systems/") else None


@dataclass
class RedfishPowerOn:
    connect: Callable[[str], PowerControl]
    name: str = "redfish"
    poll_s: float = 10.0
    timeout_s: float = 900.0
    _clients: dict[str, PowerControl] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _target(self, ctx: StepContext) -> tuple[PowerControl, str]:
        if not ctx.bmc_address:
            raise ExternalError(f"node {ctx.hostname}: field bmc_address: missing", retryable=False)
        base, system = locate(ctx.bmc_address)
        with self._lock:
            client = self._clients.get(base) or self._clients.setdefault(base, self.connect(base))
        if system is None:
            found = client.systems()
            if len(found) != 1:
                raise ExternalError(
                    f"node {ctx.hostname}: BMC {base} lists {len(found)} systems; put the "
                    "system path in bmc_address",
                    retryable=False,
                )
            system = found[0]
        return client, system

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
