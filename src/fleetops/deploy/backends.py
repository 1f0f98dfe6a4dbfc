"""The small interfaces each bring-up step calls, and simulated backends with realistic durations.

A step backend is asked `run(ctx)` repeatedly until it says done: the first call starts the work
(set PXE and power on, start imaging...), later calls poll it. Every call must be idempotent, because
after a crash the engine calls again for a step that may already have started. Failures are raised as
`ExternalError` carrying the backend's own message; `retryable=False` means trying again cannot help.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from fleetops import clock
from fleetops.deploy.choices import BringupState
from fleetops.errors import ExternalError


@dataclass(frozen=True)
class StepContext:
    """What a backend needs to know about the node and where it is in its step (from the durable row)."""

    bringup_id: int
    hostname: str
    node_id: int
    bmc_address: str | None
    gpu_model: str
    gpu_count: int
    cluster: str
    orchestrator: str
    image: str
    profile: str
    step: BringupState
    attempt: int
    calls: int
    step_started_at: datetime | None

    @property
    def first_call(self) -> bool:
        return self.calls == 0


@dataclass(frozen=True)
class StepResult:
    """Done, or not yet (call again after `wait_s`); evidence is kept on the row for the human queue."""

    done: bool
    wait_s: float = 0.0
    evidence: Mapping[str, Any] = field(default_factory=dict)


DONE = StepResult(done=True)


class StepBackend(Protocol):
    name: str

    def run(self, ctx: StepContext) -> StepResult: ...


class PowerControl(StepBackend, Protocol):
    """Boots the node from the network: one-time PXE override, power on; also the power-cycle recovery."""

    def power_cycle(self, ctx: StepContext) -> None: ...


class Provisioner(StepBackend, Protocol):
    """Images the OS (a command hook or an HTTP provisioning API); re-imaging is running it again."""


class HardeningGate(StepBackend, Protocol):
    """Runs or reads the CIS-style checks; raises `HardeningFailed` naming the failing controls."""


class Qualifier(StepBackend, Protocol):
    """Burn-in and acceptance against per-GPU-model thresholds."""


class Joiner(StepBackend, Protocol):
    """Registers the node with the cluster's scheduler and waits until it accepts work."""


@dataclass
class Backends:
    power: PowerControl
    provisioner: Provisioner
    hardening: HardeningGate
    qualifier: Qualifier
    joiner: Joiner

    def for_step(self, step: BringupState) -> StepBackend:
        return {
            BringupState.POWER_ON: self.power,
            BringupState.PROVISIONING: self.provisioner,
            BringupState.HARDENING: self.hardening,
            BringupState.QUALIFYING: self.qualifier,
            BringupState.JOINING: self.joiner,
        }[step]


# Documented step durations (seconds, min..max) of a real bring-up, used by the simulator and the benchmark:
# BMC power-on and POST take minutes, imaging 15-20 minutes, hardening checks a few, burn-in is configurable.
REALISTIC_DURATIONS: dict[BringupState, tuple[float, float]] = {
    BringupState.POWER_ON: (120, 300),
    BringupState.PROVISIONING: (900, 1200),
    BringupState.HARDENING: (60, 180),
    BringupState.QUALIFYING: (3600, 3600),
    BringupState.JOINING: (60, 240),
}


def _fraction(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from the parts, so a restarted worker sees the same world."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass
class SimulatedStep:
    """A step that takes a duration on the Clock and fails at an injectable rate.

    Stateless: the duration and the failure are derived from (seed, node, step, attempt), and the start
    time comes from the durable row, so a worker killed mid-step resumes the same simulated work.
    `persistent_share` of the failing nodes fail on every attempt: the hardware faults a human must fix.
    """

    name: str
    duration_s: tuple[float, float] = (0.0, 0.0)
    failure_rate: float = 0.0
    persistent_share: float = 0.0
    seed: int = 0
    calls: int = 0

    def _fails(self, ctx: StepContext) -> bool:
        if self.failure_rate <= 0:
            return False
        if (
            _fraction(self.seed, "persistent", ctx.hostname, self.name)
            < self.failure_rate * self.persistent_share
        ):
            return True
        return _fraction(self.seed, "fail", ctx.hostname, self.name, ctx.attempt) < self.failure_rate

    def run(self, ctx: StepContext) -> StepResult:
        self.calls += 1
        low, high = self.duration_s
        duration = low + (high - low) * _fraction(self.seed, "duration", ctx.hostname, self.name, ctx.attempt)
        started = ctx.step_started_at or clock.now()
        remaining = (started + timedelta(seconds=duration) - clock.now()).total_seconds()
        if remaining > 0:
            return StepResult(done=False, wait_s=remaining)
        if self._fails(ctx):
            raise ExternalError(
                f"{self.name}: simulated failure on {ctx.hostname} (attempt {ctx.attempt})", retryable=True
            )
        return StepResult(done=True, evidence={f"{self.name}_s": round(duration, 1)})


@dataclass
class SimulatedPower(SimulatedStep):
    cycles: int = 0

    def power_cycle(self, ctx: StepContext) -> None:
        self.cycles += 1


def simulated_backends(
    *,
    durations: Mapping[BringupState, tuple[float, float]] | None = None,
    failure_rate: float = 0.0,
    persistent_share: float = 0.1,
    seed: int = 0,
    burn_in_s: float | None = None,
) -> Backends:
    """Backends for the demo and the benchmark: instant by default, or `REALISTIC_DURATIONS`."""
    table = dict(durations or {})
    if burn_in_s is not None:
        table[BringupState.QUALIFYING] = (burn_in_s, burn_in_s)

    def step(cls: type[SimulatedStep], name: str, state: BringupState) -> Any:
        return cls(
            name=name,
            duration_s=table.get(state, (0.0, 0.0)),
            failure_rate=failure_rate,
            persistent_share=persistent_share,
            seed=seed,
        )

    return Backends(
        power=step(SimulatedPower, "power", BringupState.POWER_ON),
        provisioner=step(SimulatedStep, "provisioner", BringupState.PROVISIONING),
        hardening=step(SimulatedStep, "hardening", BringupState.HARDENING),
        qualifier=step(SimulatedStep, "qualifier", BringupState.QUALIFYING),
        joiner=step(SimulatedStep, "joiner", BringupState.JOINING),
    )
