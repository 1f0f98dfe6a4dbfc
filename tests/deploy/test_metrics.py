"""Deploy gauges for /metrics come from the same rows as the CLI and API figures."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from fleetops.auth.principal import SYSTEM
from fleetops.deploy import service
from fleetops.deploy.backends import simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.metrics import deploy_metrics
from fleetops.deploy.plan import PlanRequest
from tests.deploy.fleet import racked_fleet
from tests.factories import load


class Scrape:
    def __init__(self, database):
        self.database = database

    def collect(self):
        with self.database.transaction() as session:
            yield from deploy_metrics(session)


def test_gauges_follow_the_rollout(database, manual_clock):
    load(database, racked_fleet(nodes=4, racks=1))
    with database.transaction() as session:
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    registry = CollectorRegistry()
    registry.register(Scrape(database))
    text = generate_latest(registry).decode()
    assert 'fleetops_deploy_bringups{rollout="r1",state="enrolled"} 4.0' in text
    engine = Engine(simulated_backends(), Limits(threads=1, rack_power_on_burst=2))
    engine.tick(database)
    text = generate_latest(registry).decode()
    assert 'fleetops_deploy_bringups{rollout="r1",state="power_on"} 2.0' in text
    assert 'fleetops_deploy_bringups{rollout="r1",state="enrolled"} 2.0' in text
