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

    TODO(health): needs `health.service.request_qualification(session, hostname)` and
    `health.service.verdict_since(session, hostname, since) -> bool | None` (fresh report + qualification).
    Until they exist it answers "waiting", so verification times out and escalates to a person rather than
    returning an unverified node to service.
    """

    def start(self, target: Target) -> None:
        return None

    def result(self, target: Target, since: datetime) -> bool | None:
        try:
            from fleetops.health import service  # type: ignore[attr-defined]
        except ImportError:
            return None
        verdict = getattr(service, "verdict_since", None)
        if verdict is None:
            return None
        try:
            return verdict(target.hostname, since)  # type: ignore[no-any-return]
        except ExternalError:
            return None


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
