"""Remediation fixtures: the two-tenant fleet, the fakes wired into an engine, and a timeline driver."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from fleetops.clock import ManualClock
from fleetops.db.session import Database
from fleetops.flow import Finding
from fleetops.remediation import safety, service
from fleetops.remediation.engine import Engine
from fleetops.remediation.fakes import FakeWorld
from fleetops.remediation.models import RemediationRun, RemediationStep
from fleetops.wire import FaultOwner, Severity


@dataclass
class Bed:
    """A test bed: database, clock, fakes and engine, with helpers that read like a timeline."""

    database: Database
    clock: ManualClock
    world: FakeWorld
    engine: Engine

    def finding(
        self,
        hostname: str,
        check: str = "xid",
        xid: int | None = None,
        gpu: int | None = 0,
        message: str = "",
        after_s: float = 0,
    ) -> list[int]:
        """Health reports a finding now; returns the runs it created or joined."""
        found = Finding(
            hostname=hostname,
            check=check,
            severity=Severity.CRITICAL,
            owner=FaultOwner.HARDWARE,
            observed_at=self.clock.now(),
            message=message,
            gpu_index=gpu,
            xid=xid,
        )
        with self.database.transaction() as session:
            result = service.receive_findings(session, [found])
        return result.created + result.merged

    def play(self, seconds: float, step_s: float = 15) -> None:
        """Let `seconds` of fleet time pass, ticking the engine every `step_s`."""
        elapsed = 0.0
        self.engine.tick(self.database)
        while elapsed < seconds:
            self.clock.advance(step_s)
            elapsed += step_s
            self.engine.tick(self.database)

    def run(self, run_id: int) -> RemediationRun:
        with self.database.transaction() as session:
            return session.get(RemediationRun, run_id)  # type: ignore[return-value]

    def runs_of(self, hostname: str) -> list[RemediationRun]:
        with self.database.transaction() as session:
            return list(session.scalars(select(RemediationRun).where(RemediationRun.hostname == hostname)))

    def steps(self, run_id: int) -> list[RemediationStep]:
        with self.database.transaction() as session:
            return list(
                session.scalars(
                    select(RemediationStep)
                    .where(RemediationStep.run_id == run_id)
                    .order_by(RemediationStep.id)
                )
            )

    def actions_done(self, run_id: int) -> list[str]:
        return [s.action for s in self.steps(run_id) if s.outcome == "ok" and s.action]


def make_bed(database: Database, clock: ManualClock, **safety_limits: Any) -> Bed:
    world = FakeWorld()
    engine = Engine(world.executors(), verifier=world.verifier, safety=safety.Limits(**safety_limits))
    return Bed(database, clock, world, engine)


@pytest.fixture
def bed(fleet: Database, manual_clock: ManualClock) -> Iterator[Bed]:
    made = make_bed(fleet, manual_clock)
    yield made
    made.engine.close()
