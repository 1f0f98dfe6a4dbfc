"""The Redfish client and the power-on step against the real sushy-tools emulator (`--fake` systems).

The emulator applies power changes 1-11 s after the request, so polling is exercised for real.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from fleetops.adapters.redfish.client import RedfishClient
from fleetops.errors import ExternalError
from tests.integration.conftest import sushy_emulator

pytest.importorskip(
    "sushy_tools", reason="sushy-tools not installed: `pip install sushy-tools` (make test does)"
)

SYSTEMS = 12


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with sushy_emulator(tmp_path_factory.mktemp("sushy"), systems=SYSTEMS) as url:
        yield url


def test_many_systems_listed(emulator):
    with RedfishClient(emulator) as client:
        assert len(client.systems()) == SYSTEMS


def test_pxe_once_power_on_poll_and_off(emulator):
    with RedfishClient(emulator) as client:
        system = client.systems()[0]
        client.set_boot_once(system, "Pxe")
        assert client.system(system)["Boot"]["BootSourceOverrideTarget"] == "Pxe"
        assert client.health(system) == "OK"
        if client.power_state(system) != "Off":
            client.reset(system, "ForceOff")
            client.wait_power(system, "Off", timeout_s=20, poll_s=0.25)
        client.power_on(system)
        polls = client.wait_power(system, "On", timeout_s=20, poll_s=0.25)
        assert polls >= 1
        client.power_cycle(system)  # ForceRestart on the emulator: Off at once, On seconds later
        assert client.power_state(system) == "Off"
        client.wait_power(system, "On", timeout_s=20, poll_s=0.25)
        client.reset(system, "ForceOff")
        client.wait_power(system, "Off", timeout_s=20, poll_s=0.25)


def test_bmc_errors_carry_the_bmc_message(emulator):
    with RedfishClient(emulator) as client:
        with pytest.raises(ExternalError) as missing:
            client.power_state("no-such-system")
        assert not missing.value.retryable and "HTTP 404" in missing.value.message
        with pytest.raises(ExternalError) as refused:
            client.reset(client.systems()[1], "Explode")
        assert not refused.value.retryable
        assert "HTTP 501: Power state Explode is not supported" in refused.value.message


def test_engine_powers_nodes_on_through_the_emulator(sqlite_database, emulator):
    from fleetops.auth.principal import SYSTEM
    from fleetops.deploy import service
    from fleetops.deploy.backends import simulated_backends
    from fleetops.deploy.claim import Limits
    from fleetops.deploy.engine import Engine
    from fleetops.deploy.models import NodeBringup
    from fleetops.deploy.plan import PlanRequest
    from fleetops.deploy.power import RedfishPowerOn
    from fleetops.inventory.models import Node
    from tests.deploy.fleet import racked_fleet
    from tests.factories import load

    database, count = sqlite_database, 8
    load(database, racked_fleet(nodes=count, racks=2))
    with RedfishClient(emulator) as client:
        systems = client.systems()[SYSTEMS - count :]
        for system in systems:
            client.reset(system, "ForceOff")
    with database.transaction() as session:
        for node, system in zip(session.scalars(select(Node).order_by(Node.id)), systems, strict=True):
            node.bmc_address = f"{emulator}{system}"
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    backends = simulated_backends()
    backends.power = RedfishPowerOn(connect=lambda base: RedfishClient(base), poll_s=0.5)
    engine = Engine(backends, Limits(threads=8, min_poll_s=0.5, rack_power_on_burst=0))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        engine.tick(database)
        with database.transaction() as session:
            states = set(session.scalars(select(NodeBringup.state)))
        if states == {"ready"}:
            break
        time.sleep(0.25)
    engine.close()
    with database.transaction() as session:  # on failure, say why: a retry's backoff can outlast it
        errors = set(session.scalars(select(NodeBringup.last_error))) - {None}
    assert states == {"ready"}, errors
    with RedfishClient(emulator) as client:
        assert {client.power_state(s) for s in systems} == {"On"}
    with database.transaction() as session:
        polls = [b.evidence["power_polls"] for b in session.scalars(select(NodeBringup))]
    assert max(polls) >= 2  # power landed seconds after the request: the engine polled
