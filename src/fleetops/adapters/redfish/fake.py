"""An in-memory BMC: power changes land `delay_s` later on the fleetops Clock, like a real one.

It also mounts virtual media and models an unattended installer: a system that boots its one-time
`Cd` override with an image in a CD slot powers itself off `install_s` later, as an install ISO told
to power off at the end does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fleetops import clock
from fleetops.adapters.redfish import (
    CD,
    CONTINUOUS,
    DISABLED,
    FORCE_OFF,
    GRACEFUL_SHUTDOWN,
    ONCE,
    VirtualMedia,
)
from fleetops.adapters.redfish.firmware import Firmware
from fleetops.errors import ExternalError


@dataclass
class FakeSystem:
    power: str = "Off"
    health: str = "OK"
    boot_once: str | None = None
    boot_enabled: str = DISABLED
    pending: tuple[str, datetime] | None = None
    resets: list[str] = field(default_factory=list)
    managed_by: list[str] = field(default_factory=list)
    booted: list[str] = field(default_factory=list)  # the override each boot used ("" for none)
    firmware: list[Firmware] = field(default_factory=list)


@dataclass
class FakeMedia:
    """A slot; `actions=False` is a BMC that takes only a PATCH; `requests` lists what it was sent."""

    path: str
    media_types: tuple[str, ...]
    image: str = ""
    inserted: bool = False
    write_protected: bool = False
    actions: bool = True
    requests: list[str] = field(default_factory=list)

    def view(self) -> VirtualMedia:
        actions = f"{self.path}/Actions/VirtualMedia"
        return VirtualMedia(
            self.path,
            self.media_types,
            self.image,
            self.inserted,
            insert_target=f"{actions}.InsertMedia" if self.actions else None,
            eject_target=f"{actions}.EjectMedia" if self.actions else None,
        )


def cd_and_usb(manager: str, actions: bool = True) -> list[FakeMedia]:
    """The two slots most BMCs show: a virtual CD/DVD and a virtual USB stick."""
    return [
        FakeMedia(f"{manager}/VirtualMedia/Cd", ("CD", "DVD"), actions=actions),
        FakeMedia(f"{manager}/VirtualMedia/Usb", ("USBStick",), actions=actions),
    ]


class FakeRedfish:
    """Implements VirtualMediaControl; `fail_next[system] = n` makes the next n calls fail with a BMC error.

    `shows_once=False` is a BMC that shows every override as `Continuous`, so its use is never seen
    (sushy-emulator); `install_s=None` is an install that never powers off.
    """

    def __init__(
        self,
        systems: list[str] | None = None,
        delay_s: float = 5.0,
        *,
        install_s: float | None = None,
        shows_once: bool = True,
    ) -> None:
        self.delay_s, self.install_s, self.shows_once = delay_s, install_s, shows_once
        self._systems = {s: FakeSystem() for s in systems or []}
        self.slots: dict[str, list[FakeMedia]] = {}  # a Manager's or a system's path → its slots
        self.fail_next: dict[str, int] = {}
        self.calls = 0

    def add(self, system: str, power: str = "Off", media: list[FakeMedia] | None = None) -> FakeSystem:
        """A system with a Manager of its own holding `media` (by default a CD and a USB slot)."""
        manager = system.replace("/Systems/", "/Managers/")
        self._systems[system] = FakeSystem(power=power, managed_by=[manager])
        self.slots[manager] = cd_and_usb(manager) if media is None else media
        return self._systems[system]

    def _get(self, system: str) -> FakeSystem:
        self.calls += 1
        if self.fail_next.get(system, 0) > 0:
            self.fail_next[system] -= 1
            raise ExternalError(f"redfish fake {system}: HTTP 503: BMC busy", retryable=True, status=503)
        try:
            found = self._systems[system]
        except KeyError:
            raise ExternalError(
                f"redfish fake: HTTP 404: system {system} not found", retryable=False, status=404
            ) from None
        while found.pending and clock.now() >= found.pending[1]:  # what landed since the last look
            (found.power, landed), found.pending = found.pending, None
            if found.power == "On":
                self._boot(system, found, landed)
        return found

    def _boot(self, path: str, system: FakeSystem, at: datetime) -> None:
        override = system.boot_once if system.boot_enabled != DISABLED else None
        system.booted.append(override or "")
        if system.boot_enabled == ONCE:
            system.boot_enabled = DISABLED
        cd_loaded = any(
            m.inserted and m.image and {"CD", "DVD"} & set(m.media_types)
            for owner in [*system.managed_by, path]
            for m in self.slots.get(owner, [])
        )
        if override == CD and cd_loaded and self.install_s is not None:
            system.pending = ("Off", at + timedelta(seconds=self.install_s))

    def _slot(self, path: str) -> FakeMedia:
        self.calls += 1
        for slots in self.slots.values():
            for slot in slots:
                if slot.path == path:
                    return slot
        raise ExternalError(f"redfish fake: HTTP 404: {path} not found", retryable=False, status=404)

    def systems(self) -> list[str]:
        return list(self._systems)

    def power_state(self, system: str) -> str:
        return self._get(system).power

    def health(self, system: str) -> str:
        return self._get(system).health

    def set_boot_once(self, system: str, target: str = "Pxe") -> None:
        found = self._get(system)
        found.boot_once, found.boot_enabled = target, ONCE if self.shows_once else CONTINUOUS

    def boot_override(self, system: str) -> tuple[str, str]:
        found = self._get(system)
        return found.boot_once or "None", found.boot_enabled

    def managers(self, system: str) -> list[str]:
        return list(self._get(system).managed_by)

    def firmware(self, system: str) -> list[Firmware]:
        return list(self._get(system).firmware)

    def virtual_media(self, resource: str) -> list[VirtualMedia]:
        self.calls += 1
        return [slot.view() for slot in self.slots.get(resource, [])]

    def media(self, path: str) -> VirtualMedia:
        return self._slot(path).view()

    def insert_media(self, media: VirtualMedia, image: str) -> None:
        slot = self._slot(media.path)
        slot.requests.append("InsertMedia" if media.insert_target else "PATCH Image")
        slot.image, slot.inserted, slot.write_protected = image, True, True

    def eject_media(self, media: VirtualMedia) -> None:
        slot = self._slot(media.path)
        slot.requests.append("EjectMedia" if media.eject_target else "PATCH eject")
        slot.image, slot.inserted, slot.write_protected = "", False, False

    def reset(self, system: str, reset_type: str) -> None:
        found = self._get(system)
        found.resets.append(reset_type)
        target = "Off" if reset_type in (FORCE_OFF, GRACEFUL_SHUTDOWN) else "On"
        if "Restart" in reset_type or reset_type == "PowerCycle":
            found.power = "Off"
        if found.power != target:
            found.pending = (target, clock.now() + timedelta(seconds=self.delay_s))

    def close(self) -> None:
        return None
