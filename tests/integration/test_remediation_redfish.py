"""Remediation's BMC executor against the real sushy-tools Redfish emulator (started by the fixture of
`test_redfish.py`, the Redfish adapter's own test): power state, graceful and forced restart, power
cycle, and a silent node power-cycled back to service by the engine.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from fleetops.adapters.redfish.client import RedfishClient
from fleetops.inventory.models import Node
from fleetops.remediation.choices import RunState
from fleetops.remediation.engine import Engine
from fleetops.remediation.executors import RedfishPower, Target
from fleetops.remediation.fakes import FakeWorld
from fleetops.remediation.steps import Timing
from tests.factories import load, two_tenant_fleet
from tests.integration.test_redfish import emulator  # noqa: F401 - the fixture, reused
from tests.remediation.conftest import Bed


def _wait(client: RedfishClient, system: str, state: str, timeout_s: float = 30) -> None:
    client.wait_power(system, state, timeout_s=timeout_s, poll_s=0.25)


def test_power_state_restart_and_power_cycle(emulator):  # noqa: F811
    with RedfishClient(emulator) as client:
        system = client.systems()[2]
        if client.power_state(system) != "On":
            client.reset(system, "On")
            _wait(client, system, "On")
        power = RedfishPower(connect=RedfishClient)
        target = Target(run_id=1, hostname="n", node_id=1, bmc_address=f"{emulator}{system}")
        assert power.power_state(target) == "On"
        power.restart(target, force=False)
        _wait(client, system, "On")
        power.restart(target, force=True)
        _wait(client, system, "On")
        power.power_cycle(target)  # PowerCycle where offered, else ForceRestart: either way back On
        _wait(client, system, "On")
        with pytest.raises(Exception, match="404"):
            power.power_state(
                Target(run_id=1, hostname="n", node_id=1, bmc_address=f"{emulator}/redfish/v1/Systems/nope")
            )


def test_silent_node_is_power_cycled_back_to_service(sqlite_database, manual_clock, emulator):  # noqa: F811
    load(sqlite_database, two_tenant_fleet())
    with RedfishClient(emulator) as client:
        system = client.systems()[3]
        client.reset(system, "ForceOff")  # the node went silent: it is off
        _wait(client, system, "Off")
    with sqlite_database.transaction() as session:
        node = session.scalar(select(Node).where(Node.hostname == "b000"))
        node.bmc_address = f"{emulator}{system}"
    world = FakeWorld()
    executors = world.executors()
    executors.power = RedfishPower(connect=RedfishClient)
    engine = Engine(executors, verifier=world.verifier, timing=Timing(settle_s=0))
    bed = Bed(sqlite_database, manual_clock, world, engine)
    [run_id] = bed.finding("b000", check="node_silent", gpu=None)
    deadline = time.monotonic() + 60
    state = RunState.PENDING
    while time.monotonic() < deadline and state is not RunState.RESOLVED:
        engine.tick(sqlite_database)
        manual_clock.advance(30)
        time.sleep(0.25)
        state = bed.run(run_id).state
    engine.close()
    assert state is RunState.RESOLVED, [s.detail for s in bed.steps(run_id)]
    details = [s.detail for s in bed.steps(run_id)]
    assert any("BMC power state Off" in d for d in details)
    assert any("power On" in d for d in details)
    with RedfishClient(emulator) as client:
        assert client.power_state(system) == "On"
