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
    attempt: int  # which run of this step, 1-based, over the whole bring-up (a retry, a re-image pass)
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
# Qualifying is the long burn-in level; the quick level before it is `QUICK_DIAG_S`.
REALISTIC_DURATIONS: dict[BringupState, tuple[float, float]] = {
    BringupState.POWER_ON: (120, 300),
    BringupState.PROVISIONING: (900, 1200),
    BringupState.HARDENING: (60, 180),
    BringupState.QUALIFYING: (3600, 3600),
    BringupState.JOINING: (60, 240),
}

# Qualification runs in levels, the short checks first and the long burn-in last, as `dcgmi diag -r 1..4`
# does: a level that finds a fault ends the step there, so a dead GPU costs minutes, not a whole burn-in.
# The quick level stands for a `dcgmi diag -r 2` (about two minutes, in NVIDIA's dcgmi reference) and a
# short load on each GPU: five minutes.
QUICK_DIAG_S = 300.0
# ASSUMPTIONS, not measured here. 80 % of the qualification runs that fail, fail the quick level (a GPU
# missing or off the bus, XIDs or uncorrectable ECC at first load, PCIe or NVLink below spec); the other
# 20 % show only under sustained load (heat, power, slowly failing memory), at a uniformly random moment
# of the burn-in, and the harness reports the failure then rather than at the end of the run (a
# `QualificationResult` with passed=false fails the step whenever it arrives, see `qualify.py`).
# Change them here and rerun `bench/bench_deploy.py subpod --seeds 10` to see what they are worth.
QUICK_DIAG_FINDS = 0.8


def _fraction(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from the parts, so a restarted worker sees the same world."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass
class SimulatedStep:
    """A step that takes a duration on the Clock and fails at an injectable rate.

    Stateless: the duration and the failure are derived from (seed, node, step, run), and the start
    time comes from the durable row, so a worker killed mid-step resumes the same simulated work.
    `persistent_share` of the failing nodes fail on every run: the hardware faults a human must fix.
    """

    name: str
    duration_s: tuple[float, float] = (0.0, 0.0)
    failure_rate: float = 0.0
    persistent_share: float = 0.0
    seed: int = 0
    calls: int = 0

    def fails(self, hostname: str, attempt: int) -> bool:
        if self.failure_rate <= 0:
            return False
        if (
            _fraction(self.seed, "persistent", hostname, self.name)
            < self.failure_rate * self.persistent_share
        ):
            return True
        return _fraction(self.seed, "fail", hostname, self.name, attempt) < self.failure_rate

    def busy_s(self, hostname: str, attempt: int) -> float:
        """How long this run of the step takes on the node, its outcome included (the benchmark's
        serial-path bound adds these up)."""
        low, high = self.duration_s
        return low + (high - low) * _fraction(self.seed, "duration", hostname, self.name, attempt)

    def failure(self, hostname: str, attempt: int) -> str:
        return f"{self.name}: simulated failure on {hostname} (attempt {attempt})"

    def run(self, ctx: StepContext) -> StepResult:
        self.calls += 1
        busy = self.busy_s(ctx.hostname, ctx.attempt)
        started = ctx.step_started_at or clock.now()
        remaining = (started + timedelta(seconds=busy) - clock.now()).total_seconds()
        if remaining > 0:
            return StepResult(done=False, wait_s=remaining)
        if self.fails(ctx.hostname, ctx.attempt):
            raise ExternalError(self.failure(ctx.hostname, ctx.attempt), retryable=True)
        return StepResult(done=True, evidence={f"{self.name}_s": round(busy, 1)})


@dataclass
class SimulatedQualifier(SimulatedStep):
    """Qualification in two levels: the quick diag, then the burn-in (`duration_s`); a failing run ends
    where its fault shows (`QUICK_DIAG_FINDS` of them at the quick level, the rest during the burn-in)."""

    quick_s: float = 0.0
    quick_finds: float = QUICK_DIAG_FINDS

    def _found_quickly(self, hostname: str, attempt: int) -> bool:
        return _fraction(self.seed, "level", hostname, self.name, attempt) < self.quick_finds

    def busy_s(self, hostname: str, attempt: int) -> float:
        burn_in = super().busy_s(hostname, attempt)
        if not self.fails(hostname, attempt):
            return self.quick_s + burn_in
        if self._found_quickly(hostname, attempt):
            return self.quick_s
        return self.quick_s + burn_in * _fraction(self.seed, "shows", hostname, self.name, attempt)

    def failure(self, hostname: str, attempt: int) -> str:
        level = "quick diag" if self._found_quickly(hostname, attempt) else "burn-in"
        return f"{self.name}: simulated failure at the {level} on {hostname} (attempt {attempt})"


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
    """Backends for the demo and the benchmark: instant by default, or `REALISTIC_DURATIONS`; any burn-in
    has the quick diag level before it."""
    table = dict(durations or {})
    if burn_in_s is not None:
        table[BringupState.QUALIFYING] = (burn_in_s, burn_in_s)
    quick_s = QUICK_DIAG_S if table.get(BringupState.QUALIFYING, (0.0, 0.0))[1] > 0 else 0.0

    def step(cls: type[SimulatedStep], name: str, state: BringupState, **extra: Any) -> Any:
        return cls(
            name=name,
            duration_s=table.get(state, (0.0, 0.0)),
            failure_rate=failure_rate,
            persistent_share=persistent_share,
            seed=seed,
            **extra,
        )

    return Backends(
        power=step(SimulatedPower, "power", BringupState.POWER_ON),
        provisioner=step(SimulatedStep, "provisioner", BringupState.PROVISIONING),
        hardening=step(SimulatedStep, "hardening", BringupState.HARDENING),
        qualifier=step(SimulatedQualifier, "qualifier", BringupState.QUALIFYING, quick_s=quick_s),
        joiner=step(SimulatedStep, "joiner", BringupState.JOINING),
    )
