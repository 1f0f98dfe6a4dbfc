"""Verification before a node goes back: a fresh agent report AND a short qualification under load.

An idle check right after a reboot passes too easily (a GPU that falls off the bus under load looks fine
at rest), so the verifier starts a qualification run on the node and waits for its result, which must be
newer than the action. No answer within `timeout_s` counts as a failure, which climbs the ladder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fleetops.errors import ExternalError
from fleetops.remediation.executors import Target


class VerifierUnavailable(ExternalError):
    """No way to verify at all: the run goes to a person, never up the ladder (a bigger hammer would not
    make an unverifiable node verifiable)."""


class Verifier(Protocol):
    def start(self, target: Target) -> None:
        """Ask the node for a fresh report and a qualification under load; idempotent."""
        ...

    def result(self, target: Target, since: datetime) -> bool | None:
        """True when a report and a passed qualification newer than `since` exist; False when one failed;
        None while waiting."""
        ...


@dataclass
class HealthVerifier:
    """The production verifier over the health control plane.

    `start` files a qualification request (`health.service.request_qualification`, reused while open); the
    node's agent pulls it from the answer to its next report and runs it once its GPUs are idle (a drained
    node's are). `result` is `health.service.verification`: True once a report and a passed qualification
    started after the action exist, False on a failed one (or a critical finding in a fresh report), None
    meanwhile; an agent that could not qualify (no PyTorch) leaves it None, so the step times out. Should
    health lack either function (an older control plane), `VerifierUnavailable` sends the run to a person.
    """

    def start(self, target: Target) -> None:
        self._call("request_qualification", target.hostname)

    def result(self, target: Target, since: datetime) -> bool | None:
        verdict = self._call("verification", target.hostname, since)
        return verdict if isinstance(verdict, bool) else None

    def _call(self, name: str, *args: object) -> object:
        from fleetops.db.session import get_database
        from fleetops.health import service

        function = getattr(service, name, None)
        if function is None:
            raise VerifierUnavailable(f"health offers no {name}(): cannot verify the node", retryable=False)
        with get_database().transaction() as session:
            return function(session, *args)


@dataclass(frozen=True)
class Verdict:
    done: bool
    passed: bool = True
    detail: str = ""


def check(
    verifier: Verifier, target: Target, first_call: bool, since: datetime, waited_s: float, timeout_s: float
) -> Verdict:
    """One verification step: start on the first call, then poll until a verdict or the timeout."""
    if first_call:
        verifier.start(target)
        return Verdict(False, detail="qualification under load requested")
    result = verifier.result(target, since)
    if result is None:
        if waited_s > timeout_s:
            return Verdict(True, False, f"no fresh report and qualification within {timeout_s:g} s")
        return Verdict(False, detail="waiting for a fresh report and qualification")
    if result:
        return Verdict(True, True, "fresh agent report and qualification under load passed")
    return Verdict(True, False, "qualification under load failed")
