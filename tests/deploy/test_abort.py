"""Aborting a rollout hands its half-way nodes back to racked, through the inventory table, audited; a tick
in flight when the abort lands writes nothing for them."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from fleetops.audit.models import AuditEvent
from fleetops.auth.principal import SYSTEM
from fleetops.deploy import service
from fleetops.deploy.backends import (
    REALISTIC_DURATIONS,
    SimulatedPower,
    StepContext,
    StepResult,
    simulated_backends,
)
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.models import BringupTransition, NodeBringup
from fleetops.deploy.plan import PlanRequest
from fleetops.inventory.models import Node
from tests.deploy.fleet import ScriptedStep, drive, start_rollout


def node_states(database) -> Counter[str]:
    with database.transaction() as session:
        return Counter(session.scalars(select(Node.state)))


def test_abort_returns_nodes_in_provisioning_and_qualifying_to_racked(database, manual_clock):
    start_rollout(database, nodes=4, racks=1)
    # Two images at a time: 40 minutes in, two nodes are in burn-in and two still imaging.
    engine = Engine(
        simulated_backends(durations=REALISTIC_DURATIONS), Limits(threads=1, site_provisioning_cap=2)
    )
    for _ in range(40):
        engine.tick(database)
        manual_clock.advance(60)
    assert node_states(database) == {"provisioning": 2, "qualifying": 2}
    with database.transaction() as session:
        service.abort(session, SYSTEM, "r1", "wrong image")
    assert node_states(database) == {"racked": 4}
    with database.transaction() as session:
        moves = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "deploy.node_state").order_by(AuditEvent.id)
        ).all()
        aborted = [m.changes for m in moves if "aborted" in m.changes.get("why", "")]
        # The nodes may be planned again: they are racked and no longer held by a live bring-up.
        service.plan(session, SYSTEM, PlanRequest("r2", "gamma", "ubuntu-22.04-gpu", "k8s-cis", pod="sp1"))
    # qualifying has no edge to racked in the inventory table: those two go by provisioning.
    assert Counter(tuple(m["state"]) for m in aborted) == {
        ("qualifying", "provisioning"): 2,
        ("provisioning", "racked"): 4,
    }
    assert {m["why"] for m in aborted} == {"rollout r1 aborted: wrong image"}
    assert engine.tick(database) == 0


def test_abort_leaves_ready_and_repair_nodes_as_they_are(database, manual_clock):
    start_rollout(database, nodes=2)
    backends = simulated_backends()
    backends.provisioner = ScriptedStep("provisioner", fails=lambda ctx: ctx.hostname == "n00001")
    drive(database, Engine(backends, Limits(threads=1)), manual_clock)
    assert node_states(database) == {"ready": 1, "repair": 1}
    with database.transaction() as session:
        service.abort(session, SYSTEM, "r1", "the other node can wait for the next rollout")
    assert node_states(database) == {"ready": 1, "repair": 1}


class AbortingPower(SimulatedPower):
    """Power-on during which an operator aborts the rollout (the engine's call is in flight)."""

    database: object = None

    def run(self, ctx: StepContext) -> StepResult:
        if self.calls == 0:
            with self.database.transaction() as session:
                service.abort(session, SYSTEM, "r1", "stop")
        return super().run(ctx)


def test_a_tick_in_flight_writes_nothing_for_an_aborted_rollout(database, manual_clock):
    start_rollout(database, nodes=2)
    backends = simulated_backends()
    backends.power = AbortingPower("power")
    backends.power.database = database
    engine = Engine(backends, Limits(threads=1))
    engine.tick(database)  # admitted: power_on, nodes provisioning
    assert node_states(database) == {"provisioning": 2}
    engine.tick(database)  # the power-on calls, during which the abort lands
    assert backends.power.calls == 2
    with database.transaction() as session:
        states = set(session.scalars(select(NodeBringup.state)))
        moved_on = session.scalar(
            select(BringupTransition).where(BringupTransition.to_state == "provisioning")
        )
    assert states == {"power_on"} and moved_on is None
    assert node_states(database) == {"racked": 2}
