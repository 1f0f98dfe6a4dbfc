"""The provisioning step over Redfish virtual media: the BMC mounts the install ISO, so no PXE is needed.

How the step knows the install is done: the install ISO must power the machine off when it has
finished (Ubuntu autoinstall `shutdown: poweroff`, kickstart `poweroff`, preseed
`debian-installer/exit/poweroff`). That is the one signal every unattended installer can give and every
BMC can show, and it needs nothing on the node (no agent in the image, no callback URL). It is read
with two guards, because a machine is also Off before it has booted at all:

- an Off in the first `min_install_s` of the step is the reset not landed yet (sushy-emulator shows a
  restarted system Off for 1-11 s; no install takes minutes less than that);
- an Off while the BMC still shows the one-time `Cd` override as `Once` means the system never booted
  it (DMTF: a BMC turns `Once` to `Disabled` at that boot), so the step waits, and its timeout says so.

Then the step boots the disk once, powers on, ejects the image, and is done when the system is On.

Every call is idempotent and keeps no state between calls: what it does next is read from the BMC and
the row (`StepContext.calls`, the step's start). `calls > 0` means the first round (insert, Cd once,
reset) finished, because the engine writes a call's result only after it returned. The finishing
round ejects last, so an empty slot means it has run; an override of `Hdd` still set with the image in
means it was cut short, and it runs again.

Not detected: a person ejecting the image during the install (read as the end of the install), and an
installer that reboots instead of powering off (the step runs into its timeout, with the evidence).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fleetops import clock
from fleetops.adapters.redfish import (
    CD,
    DISABLED,
    FORCE_RESTART,
    HDD,
    ON,
    ONCE,
    VirtualMedia,
    VirtualMediaControl,
)
from fleetops.adapters.redfish.bmcs import Bmcs
from fleetops.deploy.backends import StepContext, StepResult
from fleetops.deploy.provision import template_fields
from fleetops.errors import ExternalError

CD_TYPES = frozenset({"CD", "DVD"})


@contextmanager
def _naming(ctx: StepContext) -> Iterator[None]:
    """The BMC's errors carry the URL and the BMC's words; the node's record needs the node's name too."""
    try:
        yield
    except ExternalError as error:
        if error.message.startswith(f"node {ctx.hostname}:"):
            raise
        raise ExternalError(
            f"node {ctx.hostname}: {error.message}", retryable=error.retryable, **error.details
        ) from error


@dataclass(frozen=True)
class _Seen:
    """One poll's reading of the BMC, kept as evidence when the step gives up."""

    slot: VirtualMedia
    power: str
    override: tuple[str, str]
    elapsed_s: float

    def evidence(self) -> dict[str, Any]:
        return {
            "virtual_media": self.slot.path,
            "media_image": self.slot.image,
            "media_inserted": self.slot.inserted,
            "power_state": self.power,
            "boot_override": "/".join(self.override),
            "elapsed_s": round(self.elapsed_s),
        }


@dataclass
class RedfishVirtualMedia:
    """Provisions through the BMC's virtual CD; `image_url` may name `{image}`, `{hostname}`, `{profile}`."""

    connect: Callable[[str], VirtualMediaControl]
    image_url: str
    name: str = "provisioner"
    poll_s: float = 30.0
    timeout_s: float = 3600.0
    min_install_s: float = 300.0
    _bmcs: Bmcs[VirtualMediaControl] = field(init=False)

    def __post_init__(self) -> None:
        self._bmcs = Bmcs(self.connect)

    def run(self, ctx: StepContext) -> StepResult:
        with _naming(ctx):
            image = self._image(ctx)
            client, system = self._bmcs.system(ctx.hostname, ctx.bmc_address)
            slot = self._slot(ctx, client, system)
            if ctx.first_call:
                return self._start(ctx, client, system, slot, image)
            return self._poll(ctx, client, system, slot, image)

    def _image(self, ctx: StepContext) -> str:
        try:
            return self.image_url.format(**template_fields(ctx))
        except (KeyError, IndexError, ValueError) as error:
            raise ExternalError(
                f"node {ctx.hostname}: field image_url: {self.image_url!r} cannot be filled in "
                f"({type(error).__name__}: {error}); it may name {sorted(template_fields(ctx))}",
                retryable=False,
            ) from error

    def _slot(self, ctx: StepContext, client: VirtualMediaControl, system: str) -> VirtualMedia:
        """The first CD/DVD slot of the system's managers, then of the system itself (Redfish 2021.1)."""
        owners = [*client.managers(system), system]
        seen = []
        for owner in owners:
            for slot in client.virtual_media(owner):
                if CD_TYPES & set(slot.media_types):
                    return slot
                seen.append(f"{slot.path} {list(slot.media_types)}")
        raise ExternalError(
            f"node {ctx.hostname}: field bmc_address: the BMC offers no CD/DVD virtual media for "
            f"{system} (looked in {owners}; slots: {seen or 'none'})",
            retryable=False,
        )

    def _start(
        self, ctx: StepContext, client: VirtualMediaControl, system: str, slot: VirtualMedia, image: str
    ) -> StepResult:
        evidence: dict[str, Any] = {"virtual_media": slot.path, "virtual_media_image": image}
        if slot.inserted and slot.image != image:
            client.eject_media(slot)
            evidence["virtual_media_ejected"] = slot.image
        if not (slot.inserted and slot.image == image):
            client.insert_media(slot, image)
            shown = client.media(slot.path)
            if not (shown.inserted and shown.image == image):
                raise ExternalError(
                    f"node {ctx.hostname}: field virtual_media: {slot.path} accepted {image} but shows "
                    f"Image={shown.image!r} Inserted={shown.inserted}",
                    retryable=True,
                )
        client.set_boot_once(system, CD)
        reset = ON if client.power_state(system) == "Off" else FORCE_RESTART
        client.reset(system, reset)
        evidence["virtual_media_reset"] = reset
        return StepResult(done=False, wait_s=self.poll_s, evidence=evidence)

    def _poll(
        self, ctx: StepContext, client: VirtualMediaControl, system: str, slot: VirtualMedia, image: str
    ) -> StepResult:
        started = ctx.step_started_at or clock.now()
        seen = _Seen(
            slot,
            client.power_state(system),
            client.boot_override(system),
            (clock.now() - started).total_seconds(),
        )
        if not slot.inserted:  # the finishing round ejects last: it has run, the disk boot is under way
            if seen.power == "On":
                return StepResult(done=True, evidence={"virtual_media_polls": ctx.calls})
        elif slot.image != image:
            raise ExternalError(
                f"node {ctx.hostname}: field virtual_media: {slot.path} holds {slot.image}, not {image}: "
                "it was changed during the install",
                retryable=True,
                **seen.evidence(),
            )
        elif self._finishing(seen) or self._installed(seen):
            return self._finish(client, system, seen)
        return self._wait(ctx, seen)

    def _installed(self, seen: _Seen) -> bool:
        """The installer powered the machine off after booting the media (module docstring)."""
        never_booted = seen.override == (CD, ONCE)
        return seen.power == "Off" and not never_booted and seen.elapsed_s >= self.min_install_s

    def _finishing(self, seen: _Seen) -> bool:
        """The finishing round was cut short: only it sets the disk override while the image is in."""
        return seen.override[0] == HDD and seen.override[1] != DISABLED

    def _finish(self, client: VirtualMediaControl, system: str, seen: _Seen) -> StepResult:
        client.set_boot_once(system, HDD)
        if seen.power == "Off":
            client.reset(system, ON)
        client.eject_media(seen.slot)
        evidence = {"virtual_media_install_s": round(seen.elapsed_s)}
        return StepResult(done=False, wait_s=self.poll_s, evidence=evidence)

    def _wait(self, ctx: StepContext, seen: _Seen) -> StepResult:
        if seen.elapsed_s <= self.timeout_s:
            return StepResult(done=False, wait_s=self.poll_s)
        if not seen.slot.inserted:
            what = "the image is ejected but the system did not power on from disk"
        elif seen.override == (CD, ONCE) and seen.power == "Off":
            what = "the system never booted the media (the BMC still shows the one-time Cd override)"
        else:
            what = "the installer did not power the system off"
        raise ExternalError(
            f"node {ctx.hostname}: field power_state: {seen.power} after {seen.elapsed_s:.0f} s of "
            f"virtual media install: {what}",
            retryable=True,
            **seen.evidence(),
        )
