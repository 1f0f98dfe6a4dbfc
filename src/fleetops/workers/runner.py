"""The periodic task loop. Each task is idempotent and keeps its own state in rows (leases, outboxes),
so any number of workers may run against one PostgreSQL and a crash loses nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fleetops.adapters.jira.fake import FakeJira
from fleetops.adapters.pagerduty.fake import FakePagerDuty
from fleetops.adapters.slack.fake import FakeSlack
from fleetops.alerts import service as alerts
from fleetops.alerts.notify import Notifiers
from fleetops.assets import breaches as asset_breaches
from fleetops.assets import netbox_service
from fleetops.audit.service import purge
from fleetops.config import settings
from fleetops.db.session import Database, get_database
from fleetops.deploy import engine as deploy_engine
from fleetops.health import coverage
from fleetops.pipeline import handoff
from fleetops.remediation import engine as remediation_engine
from fleetops.security import firmware, freshness
from fleetops.security.access import requests as access_requests
from fleetops.security.updates import engine as security_updates
from fleetops.sim.live import CYCLE, LiveFleet

log = logging.getLogger("fleetops.worker")


@dataclass(frozen=True)
class Task:
    name: str
    every_s: float
    run: Callable[[Database], int]


def purge_audit(database: Database) -> int:
    with database.transaction() as session:
        return purge(session, settings().audit_retention_days)


def deliver_notifications(database: Database) -> int:
    """The outbox: real PagerDuty, Slack and Jira clients, or recording fakes when simulating (demo)."""
    return alerts.tick(database, notifiers=simulated_notifiers() if settings().simulate else None)


def simulated_notifiers() -> Notifiers:
    return Notifiers(pager=FakePagerDuty(), chat=FakeSlack(), ticketer=FakeJira())


# The order is the pipeline's: health folds silence in, findings move on, then each engine acts.
TASKS: list[Task] = [
    Task("health.coverage", 15.0, coverage.tick),
    Task("pipeline.handoff", 1.0, handoff),
    Task("alerts.deliver", 1.0, deliver_notifications),
    Task("deploy.tick", 1.0, deploy_engine.tick),
    Task("remediation.tick", 2.0, remediation_engine.tick),
    Task("audit.purge", 3600.0, purge_audit),
    Task("security.freshness", 300.0, freshness.tick),
    Task("security.firmware", 60.0, firmware.tick),
    Task("access.expire", 60.0, access_requests.expire_due),
    Task("security.updates.tick", 1.0, security_updates.tick),
    Task("assets.sla", 60.0, asset_breaches.tick),
    Task("assets.netbox_sync", 900.0, netbox_service.tick),
]


def default_tasks() -> list[Task]:
    """The production tasks, plus the simulated agents of the demo fleet when simulating."""
    if not settings().simulate:
        return TASKS
    return [Task("sim.agents", CYCLE.total_seconds(), LiveFleet()), *TASKS]


def run_forever(stop: threading.Event, tasks: list[Task] | None = None, tick_s: float = 0.5) -> None:
    """Run each task when due; a failing task is logged and retried on its next turn, never fatal."""
    database = get_database()
    tasks = tasks or default_tasks()
    due = {task.name: 0.0 for task in tasks}
    while not stop.is_set():
        for task in tasks:
            if time.monotonic() < due[task.name]:
                continue
            due[task.name] = time.monotonic() + task.every_s
            try:
                done = task.run(database)
            except Exception:  # noqa: BLE001 - one task's failure must not stop the others
                log.exception("task failed", extra={"task": task.name})
                continue
            if done:
                log.info("task ran", extra={"task": task.name, "done": done})
        stop.wait(tick_s)
