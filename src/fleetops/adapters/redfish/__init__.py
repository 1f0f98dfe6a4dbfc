"""Redfish BMC control: the PowerControl and VirtualMediaControl protocols, their httpx client and a fake."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fleetops.adapters.redfish.firmware import Firmware

# ComputerSystem.Reset types fleetops uses (DMTF Redfish schema, ResetType).
ON, FORCE_OFF, GRACEFUL_SHUTDOWN = "On", "ForceOff", "GracefulShutdown"
FORCE_RESTART, GRACEFUL_RESTART, POWER_CYCLE = "ForceRestart", "GracefulRestart", "PowerCycle"
# Boot.BootSourceOverrideTarget and BootSourceOverrideEnabled values fleetops uses.
PXE, CD, HDD = "Pxe", "Cd", "Hdd"
ONCE, CONTINUOUS, DISABLED = "Once", "Continuous", "Disabled"


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


@dataclass(frozen=True)
class VirtualMedia:
    """One virtual media slot as the BMC shows it (DMTF `VirtualMedia`); `image` is "" when empty.

    The action targets are None where the BMC does not offer the action (older firmware takes a PATCH
    of `Image` instead), so the slot itself says how to load it.
    """

    path: str
    media_types: tuple[str, ...]
    image: str
    inserted: bool
    insert_target: str | None = None
    eject_target: str | None = None


class VirtualMediaControl(PowerControl, Protocol):
    """A BMC that can also mount an image over its virtual media and say where the next boot goes."""

    def managers(self, system: str) -> list[str]: ...

    def virtual_media(self, resource: str) -> list[VirtualMedia]: ...

    def media(self, path: str) -> VirtualMedia: ...

    def insert_media(self, media: VirtualMedia, image: str) -> None: ...

    def eject_media(self, media: VirtualMedia) -> None: ...

    def boot_override(self, system: str) -> tuple[str, str]: ...


class FirmwareInventory(PowerControl, Protocol):
    """A BMC that can say what firmware its system runs (`adapters.redfish.firmware`)."""

    def firmware(self, system: str) -> list[Firmware]: ...
