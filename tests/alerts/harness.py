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
from fleetops.backends.settings import Notify
from fleetops.clock import ManualClock
from fleetops.db.session import Database
from fleetops.flow import Finding

SUPPLIER_HOOK = "https://hooks.slack.test/acme"
CUSTOMER_HOOK = "https://hooks.slack.test/initech"


def configured_notify(hooks: dict[str, str] | None = None) -> Notify:
    """The receivers' credentials an operator's configuration gives: a webhook per supplier and customer
    (`hooks`, by label value), a PagerDuty routing key."""
    hooks = {"acme": SUPPLIER_HOOK, "initech": CUSTOMER_HOOK} if hooks is None else hooks
    return Notify.model_validate(
        {
            "routing_keys": {"oncall-pager": "R0UT1NG"},
            "webhooks": {name: hooks for name in ("supplier-slack", "customer-slack")},
        }
    )


def test_routes() -> RoutingTree:
    return default_routes().model_copy(deep=True)


@dataclass
class Timeline:
    database: Database
    clock: ManualClock
    routes: RoutingTree = field(default_factory=test_routes)
    rules: Any = field(default_factory=lambda: default_rules().model_copy(deep=True))
    pager: FakePagerDuty = field(default_factory=FakePagerDuty)
    slack: FakeSlack = field(default_factory=FakeSlack)
    jira: FakeJira = field(default_factory=FakeJira)
    secrets: Notify = field(default_factory=configured_notify)

    def push(self, findings: list[Finding]) -> Any:
        with self.database.transaction() as session:
            ctx = Context(session, rules=self.rules, routes=self.routes)
            return service.ingest_findings(session, findings, ctx)

    def tick(self) -> int:
        notifiers = Notifiers(self.pager, self.slack, self.jira, self.secrets)
        return service.tick(self.database, self.routes, notifiers)

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
