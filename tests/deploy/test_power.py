"""The Redfish power-on step against the fake BMC: PXE once, power on, poll, and BMC errors recorded."""

from __future__ import annotations

from sqlalchemy import select

from fleetops.adapters.redfish.bmcs import locate
from fleetops.adapters.redfish.fake import FakeRedfish
from fleetops.auth.principal import SYSTEM
from fleetops.deploy import service
from fleetops.deploy.backends import simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.models import NodeBringup
from fleetops.deploy.plan import PlanRequest
from fleetops.deploy.power import RedfishPowerOn
from tests.deploy.fleet import racked_fleet
from tests.factories import load


def test_locate_splits_bmc_and_system():
    assert locate("https://bmc-n1") == ("https://bmc-n1", None)
    assert locate("http://127.0.0.1:8000/redfish/v1/Systems/abc") == (
        "http://127.0.0.1:8000",
        "/redfish/v1/Systems/abc",
    )


def test_power_on_through_fake_bmc_with_errors_recorded(database, manual_clock):
    load(database, racked_fleet(nodes=3, racks=1))
    bmc = FakeRedfish(delay_s=20)
    for i in range(3):
        bmc.add(f"/redfish/v1/Systems/n{i:05d}")
    bmc.add("/redfish/v1/Systems/n00001", power="On")
    bmc.fail_next["/redfish/v1/Systems/n00002"] = 1
    with database.transaction() as session:
        from fleetops.inventory.models import Node

        for node in session.scalars(select(Node)):
            node.bmc_address = f"http://bmc.test/redfish/v1/Systems/{node.hostname}"
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    backends = simulated_backends()
    backends.power = RedfishPowerOn(connect=lambda base: bmc, poll_s=10)
    engine = Engine(backends, Limits(threads=1))
    for _ in range(40):
        engine.tick(database)
        manual_clock.advance(10)
    with database.transaction() as session:
        rows = {b.hostname: b for b in session.scalars(select(NodeBringup))}
    assert {h: r.state for h, r in rows.items()} == {"n00000": "ready", "n00001": "ready", "n00002": "ready"}
    system = bmc._systems["/redfish/v1/Systems/n00000"]
    assert system.boot_once == "Pxe" and system.resets == ["On"]
    assert bmc._systems["/redfish/v1/Systems/n00001"].resets == ["ForceRestart"]
    assert rows["n00000"].evidence["power_polls"] >= 2  # the change landed 20 s later: it was polled
    assert rows["n00002"].failures == 1 and rows["n00002"].recovered == 1
    assert "HTTP 503: BMC busy" in rows["n00002"].last_error
