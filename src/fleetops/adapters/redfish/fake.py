"""An in-memory BMC: power changes land `delay_s` later on the fleetops Clock, like a real one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fleetops import clock
from fleetops.adapters.redfish import FORCE_OFF, GRACEFUL_SHUTDOWN
from fleetops.errors import ExternalError


@dataclass
class FakeSystem:
    power: str = "Off"
    health: str = "OK"
    boot_once: str | None = None
    pending: tuple[str, datetime] | None = None
    resets: list[str] = field(default_factory=list)


class FakeRedfish:
    """Implements PowerControl; `fail_next[system] = n` makes the next n calls fail with a BMC error."""

    def __init__(self, systems: list[str] | None = None, delay_s: float = 5.0) -> None:
        self.delay_s = delay_s
        self._systems = {s: FakeSystem() for s in systems or []}
        self.fail_next: dict[str, int] = {}
        self.calls = 0

    def add(self, system: str, power: str = "Off") -> FakeSystem:
        self._systems[system] = FakeSystem(power=power)
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
        if found.pending and clock.now() >= found.pending[1]:
            found.power, found.pending = found.pending[0], None
        return found

    def systems(self) -> list[str]:
        return list(self._systems)

    def power_state(self, system: str) -> str:
        return self._get(system).power

    def health(self, system: str) -> str:
        return self._get(system).health

    def set_boot_once(self, system: str, target: str = "Pxe") -> None:
        self._get(system).boot_once = target

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
