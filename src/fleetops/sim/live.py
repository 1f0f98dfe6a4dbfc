"""The demo's fleet comes alive: every node of an active cluster reports like an agent would, with
faults drawn from the published failure mix, through the real ingest path, every 30 s.

The fleet is re-read each cycle, so nodes a rollout brings to `ready` start reporting too. The
failure rate is raised (`DEMO_INTENSITY`) so a demo of minutes shows what a fleet sees in weeks.
"""

from __future__ import annotations

import json
from datetime import timedelta

from fleetops import clock
from fleetops.db.session import Database
from fleetops.sim.faults import FaultInjector, FleetSimulation

CYCLE = timedelta(seconds=30)
# The demo's credentials for the shipped routing tree: a default webhook for every Slack receiver and a
# PagerDuty routing key, as an operator configures them (the demo's fake notifiers record what they send).
DEMO_ENVIRONMENT = {
    "FLEETOPS_NOTIFY__ROUTING_KEYS": json.dumps({"oncall-pager": "demo"}),
    "FLEETOPS_NOTIFY__WEBHOOKS": json.dumps(
        {
            "supplier-slack": {"default": "https://hooks.slack.invalid/demo-supplier"},
            "customer-slack": {"default": "https://hooks.slack.invalid/demo-customer"},
        }
    ),
}
DEMO_INTENSITY = 500.0


class LiveFleet:
    def __init__(self, seed: int = 7, intensity: float = DEMO_INTENSITY) -> None:
        self.seed, self.intensity = seed, intensity
        self.simulation: FleetSimulation | None = None

    def __call__(self, database: Database) -> int:
        if self.simulation is None:
            injector = FaultInjector(seed=self.seed, intensity=self.intensity)
            self.simulation = FleetSimulation(
                database, injector, seed=self.seed, repair=timedelta(minutes=20)
            )
        self.simulation.hosts = self.simulation.refresh_hosts()
        return self.simulation.cycle(clock.now(), CYCLE).reports
