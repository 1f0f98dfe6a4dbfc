"""A timeline harness: push findings or webhook payloads at t, tick the worker, read what went out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fleetops.adapters.jira.fake import FakeJira
from fleetops.adapters.pagerduty.fake import FakePagerDuty
from fleetops.adapters.slack.fake import FakeSlack
from fleetops.alerts import service
from fleetops.alerts.context import Context
from fleetops.alerts.notify import Notifiers
from fleetops.alerts.policy import RoutingTree, default_routes, default_rules
from fleetops.clock import ManualClock
from fleetops.db.session import Database
from fleetops.flow import Finding

SUPPLIER_HOOK = "https://hooks.slack.test/acme"
CUSTOMER_HOOK = "https://hooks.slack.test/initech"


def test_routes() -> RoutingTree:
    """The default tree with webhooks filled in, as an operator's configuration would."""
    tree = default_routes().model_copy(deep=True)
    for receiver in tree.receivers:
        if receiver.name == "supplier-slack":
            receiver.urls = {"acme": SUPPLIER_HOOK}
        if receiver.name == "customer-slack":
            receiver.urls = {"initech": CUSTOMER_HOOK}
    return tree


@dataclass
class Timeline:
    database: Database
    clock: ManualClock
    routes: RoutingTree = field(default_factory=test_routes)
    rules: Any = field(default_factory=lambda: default_rules().model_copy(deep=True))
    pager: FakePagerDuty = field(default_factory=FakePagerDuty)
    slack: FakeSlack = field(default_factory=FakeSlack)
    jira: FakeJira = field(default_factory=FakeJira)

    def push(self, findings: list[Finding]) -> Any:
        with self.database.transaction() as session:
            ctx = Context(session, rules=self.rules, routes=self.routes)
            return service.ingest_findings(session, findings, ctx)

    def tick(self) -> int:
        return service.tick(self.database, self.routes, Notifiers(self.pager, self.slack, self.jira))

    def run_for(self, seconds: int, step: int = 1) -> None:
        for _ in range(0, seconds, step):
            self.clock.advance(step)
            self.tick()

    def measures(self) -> dict[str, Any]:
        with self.database.transaction() as session:
            return service.measures(session)

    def incidents(self) -> list[Any]:
        with self.database.transaction() as session:
            return service.list_incidents(session)
