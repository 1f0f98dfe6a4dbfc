"""Redfish BMC control: the PowerControl protocol, its httpx client and a fake with delayed power changes."""

from __future__ import annotations

from typing import Protocol

# ComputerSystem.Reset types fleetops uses (DMTF Redfish schema, ResetType).
ON, FORCE_OFF, GRACEFUL_SHUTDOWN = "On", "ForceOff", "GracefulShutdown"
FORCE_RESTART, GRACEFUL_RESTART, POWER_CYCLE = "ForceRestart", "GracefulRestart", "PowerCycle"


class PowerControl(Protocol):
    """One BMC endpoint's systems; `system` is a Redfish system id or its `@odata.id` path.

    Power changes are asynchronous on real BMCs: `reset` returns when the BMC accepted the request,
    and callers poll `power_state` until it shows the change.
    """

    def systems(self) -> list[str]: ...

    def power_state(self, system: str) -> str: ...

    def health(self, system: str) -> str: ...

    def set_boot_once(self, system: str, target: str = "Pxe") -> None: ...

    def reset(self, system: str, reset_type: str) -> None: ...

    def close(self) -> None: ...
