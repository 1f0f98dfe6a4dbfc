"""The soak's world: our actions cure what they can, a flapping GPU comes back, the supplier works tickets."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from fleetops import clock
from fleetops.adapters.jira.fake import FakeJira
from fleetops.inventory.choices import NodeState
from fleetops.inventory.placement import Placement
from fleetops.remediation.executors import Target
from fleetops.remediation.fakes import FakeWorld
from fleetops.sim.faults import LLAMA3_MIX, Fault
from fleetops.sim.people import Supplier
from fleetops.sim.scenario import Cure, TrueFault
from fleetops.sim.world import Host, World

T0 = datetime(2026, 3, 2, tzinfo=UTC)
KINDS = {kind.name: kind for kind in LLAMA3_MIX}


class Timeline:
    """The soak's event queue in miniature: `play(until)` runs what the world scheduled, in time order."""

    def __init__(self, manual: clock.ManualClock) -> None:
        self.manual = manual
        self.events: list[tuple[datetime, int, Callable[[datetime], None]]] = []

    def __call__(self, when: datetime, action: Callable[[datetime], None]) -> None:
        self.events.append((when, len(self.events), action))

    def play(self, until: datetime) -> None:
        while True:
            due = sorted(e for e in self.events if e[0] <= until)
            if not due:
                break
            self.events.remove(due[0])
            self.manual.set(due[0][0])
            due[0][2](due[0][0])
        self.manual.set(until)


@pytest.fixture
def world(manual_clock: clock.ManualClock) -> World:
    manual_clock.set(T0)
    hosts = {
        f"n{i}": Host(
            f"n{i}",
            i,
            tuple(f"GPU-n{i}-{g}" for g in range(8)),
            f"https://10.0.0.{i}",
            Placement(i, f"n{i}", NodeState.READY, 1, "dfw1/r1", "", 1, "dfw1", 1, 1),
            "ready",
        )
        for i in range(1, 4)
    }
    return World(hosts, FakeWorld(), random.Random(1), Timeline(manual_clock))


def strike(world: World, kind: str, variant: int, cure: Cure, host: str = "n1", **extra) -> TrueFault:
    fault = TrueFault(
        len(world.faults) + 1, kind, Fault(KINDS[kind], 0, 2, clock.now(), variant), (host,), cure, **extra
    )
    world.strike(fault, clock.now())
    return fault


def test_a_reset_cures_a_fault_of_its_gpu_and_nothing_a_part_must_fix(world, manual_clock):
    gsp = strike(world, "gpu_system_processor", 1, Cure.RESET)
    part = strike(world, "gpu_hbm3", 0, Cure.PART, host="n2")
    assert world.fakes.verifier.failing == {"n1", "n2"}
    report = world.report("n1", clock.now(), random.Random(2))
    assert [x.code for x in report.xid_events] == [119]
    world.fakes.gpu.reset("n1", 5)  # the wrong GPU
    world.fakes.gpu.reset("n2", 2)
    world.observe(clock.now())
    world.schedule.play(T0 + timedelta(minutes=5))
    assert gsp.ended_at is None and part.ended_at is None
    world.fakes.gpu.reset("n1", 2)
    world.observe(clock.now())
    world.schedule.play(T0 + timedelta(minutes=10))
    assert gsp.ended_by == "cured by reset" and part.ended_at is None
    assert world.fakes.verifier.failing == {"n2"}
    assert world.report("n1", clock.now(), random.Random(2)).xid_events == []
    world.fakes.bmc("https://10.0.0.2").reset("/redfish/v1/Systems/1", "PowerCycle")
    world.observe(clock.now())
    world.schedule.play(T0 + timedelta(hours=1))
    assert part.ended_at is None  # a row-remap failure waits for the supplier, whatever we do


def test_a_flapping_gpu_falls_off_the_bus_again_after_a_reboot(world):
    fault = strike(
        world, "faulty_gpu", 0, Cure.PART, lasts_s=4000, episodes=[(0, 600), (1800, 2400), (3000, 3600)]
    )
    world.schedule.play(T0 + timedelta(seconds=60))
    assert world.sick() == ["n1"] and "n1" in world.fakes.verifier.failing
    world.fakes.bmc("https://10.0.0.1").reset("/redfish/v1/Systems/1", "GracefulRestart")
    world.observe(clock.now())
    world.schedule.play(T0 + timedelta(seconds=1200))
    assert world.sick() == [] and "n1" not in world.fakes.verifier.failing
    world.schedule.play(T0 + timedelta(seconds=1900))
    assert world.sick() == ["n1"]
    assert [x.code for x in world.report("n1", clock.now(), random.Random(3)).xid_events] == [79]
    world.schedule.play(T0 + timedelta(hours=3))
    assert world.sick() == ["n1"] and fault.ended_at is None  # a part: down for good after the last episode


def test_the_supplier_replaces_the_part_closes_the_ticket_and_takes_back_a_reopened_one(world):
    part = strike(world, "gpu_hbm3", 0, Cure.PART)
    jira = FakeJira()
    supplier = Supplier(world, random.Random(4), world.schedule, jira, lambda incident: frozenset({"n1"}))
    notices = world.fakes.notices
    fields = {"project": {"key": "SUP"}, "summary": "n1", "issuetype": {"name": "Task"}}
    alert = jira.create_issue("", fields | {"labels": ["fleetops", "fleetops-incident-9"]})
    ticket = notices.open_ticket(Target(1, "n1", 1), "rma", "row remap failure", "fleetops-remediation-1")
    healthy = notices.open_ticket(Target(2, "n3", 3), "rma", "silent", "fleetops-remediation-2")
    supplier.tick(clock.now())
    world.schedule.play(T0 + timedelta(hours=9))
    assert jira.status[alert] == "new"  # the row-remap failure is still there at the supplier's check
    world.schedule.play(T0 + timedelta(days=6))
    assert jira.status[alert] == "done" and supplier.closed["fleetops-incident-9"] > part.ended_at
    assert notices.repaired(ticket) and notices.repaired(healthy)
    assert supplier.no_fault_found == [healthy]
    assert part.ended_by == "the supplier replaced the part" or supplier.bad_parts == 1
    notices.reopen(ticket, "qualification failed after the repair")
    supplier.tick(clock.now())
    assert ticket in supplier.working and not notices.repaired(ticket)
