"""The control plane on the manual clock: the worker's production tasks (`workers.runner.TASKS`, in their
order and at their periods) with the adapters' fakes at the edges.

It can be restarted (every in-memory object rebuilt from the database: the engine, the hand-off, the
deploy engine, the database connection; the fakes keep their state, as the real PagerDuty, Jira and
Slurm would) and killed mid-step (`WorkerKilled` raised inside an executor or a receiver right after it
acted, so the lease or the outbox row is left behind for the next worker). The alert receivers record
what they accepted (`Receipt`), answer 503 while PagerDuty is down, and can be killed after a send.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select

from fleetops import clock
from fleetops.adapters.jira.fake import FakeJira
from fleetops.adapters.pagerduty.fake import FakePagerDuty
from fleetops.adapters.slack.fake import FakeSlack
from fleetops.alerts import service as alerts
from fleetops.alerts.choices import OutboxStatus
from fleetops.alerts.models import NotificationGroup, Outbox
from fleetops.alerts.notify import Notifiers
from fleetops.alerts.policy import default_routes
from fleetops.db.session import Database
from fleetops.deploy import engine as deploy_engine
from fleetops.deploy.backends import simulated_backends
from fleetops.errors import ExternalError
from fleetops.pipeline import Handoff
from fleetops.remediation import engine as remediation_engine
from fleetops.remediation import fsm
from fleetops.remediation.claim import Limits
from fleetops.remediation.fakes import FakeWorld
from fleetops.remediation.models import RemediationRun
from fleetops.workers.runner import TASKS, Task

log = logging.getLogger("fleetops.sim.soak")


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing in the control plane may catch it."""


def digest(payload: Any) -> str:
    """One message's identity across the outbox row and what the receiver got: the routing key is added
    at delivery (a secret never stored in the row), so it is not part of the identity."""
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k != "routing_key"}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Receipt:
    """A message a receiver accepted (a Jira create or close, a PagerDuty event, a Slack post)."""

    kind: str
    key: str  # the dedup key (PagerDuty), the label (Jira), the webhook (Slack)
    action: str
    digest: str
    at: datetime


@dataclass
class Edge:
    """What the three receivers share: the log, PagerDuty's down windows, and an armed kill."""

    receipts: list[Receipt] = field(default_factory=list)
    pagerduty_down: list[tuple[datetime, datetime]] = field(default_factory=list)
    kill_after_send: bool = False

    def accepted(self, kind: str, key: str, action: str, payload: Any) -> None:
        self.receipts.append(Receipt(kind, key, action, digest(payload), clock.now()))
        if self.kill_after_send:
            self.kill_after_send = False
            raise WorkerKilled(f"worker killed after {kind} accepted {key}")


class RecordingPagerDuty(FakePagerDuty):
    def __init__(self, edge: Edge) -> None:
        super().__init__()
        self.edge = edge

    def send_event(self, url: str, event: dict[str, Any]) -> str:
        now = clock.now()
        if any(start <= now < end for start, end in self.edge.pagerduty_down):
            raise ExternalError("pagerduty answered 503", retryable=True)
        key = super().send_event(url, event)
        self.edge.accepted("pagerduty", key, event["event_action"], event)
        return key


class RecordingSlack(FakeSlack):
    def __init__(self, edge: Edge) -> None:
        super().__init__()
        self.edge = edge

    def post(self, url: str, message: dict[str, Any]) -> None:
        super().post(url, message)
        self.edge.accepted("slack", url, "post", message)


class RecordingJira(FakeJira):
    def __init__(self, edge: Edge) -> None:
        super().__init__()
        self.edge = edge

    def create_issue(self, base_url: str, fields: dict[str, Any]) -> str:
        key = super().create_issue(base_url, fields)
        label = next((x for x in fields.get("labels", []) if x.startswith("fleetops-incident-")), key)
        self.edge.accepted("jira", label, "trigger", fields)
        return key

    def close_issue(self, base_url: str, key: str, comment: str) -> None:
        super().close_issue(base_url, key, comment)
        labels = self.issues.get(key, {}).get("labels", [])
        label = next((x for x in labels if x.startswith("fleetops-incident-")), key)
        self.edge.accepted("jira", label, "resolve", comment)


@dataclass
class Edges:
    """The outside world's state, which outlives any restart of the control plane."""

    world: FakeWorld
    edge: Edge = field(default_factory=Edge)
    pagerduty: RecordingPagerDuty = field(init=False)
    slack: RecordingSlack = field(init=False)
    jira: RecordingJira = field(init=False)

    def __post_init__(self) -> None:
        self.pagerduty = RecordingPagerDuty(self.edge)
        self.slack = RecordingSlack(self.edge)
        self.jira = RecordingJira(self.edge)

    def notifiers(self) -> Notifiers:
        return Notifiers(pager=self.pagerduty, chat=self.slack, ticketer=self.jira)

    def kill_after(self, obj: Any, name: str) -> None:
        """The next call to `obj.name` does its work, then the worker dies before writing anything back."""
        real: Callable[..., Any] = getattr(obj, name)

        def killing(*args: Any, **kwargs: Any) -> Any:
            real(*args, **kwargs)
            setattr(obj, name, real)
            raise WorkerKilled(f"worker killed after {name}")

        setattr(obj, name, killing)


class ControlPlane:
    """One `fleetops serve` process: its database connection, engines and hand-off, and the task loop."""

    def __init__(self, url: str, edges: Edges) -> None:
        self.database = Database(url)
        self.edges = edges
        self.handoff = Handoff()
        self.engine = remediation_engine.Engine(
            edges.world.executors(), verifier=edges.world.verifier, limits=Limits(threads=1)
        )
        remediation_engine.use_engine(self.engine)
        deploy_engine.use_engine(deploy_engine.Engine(simulated_backends()))
        own: dict[str, Callable[[Database], int]] = {
            "pipeline.handoff": self.handoff,
            "alerts.deliver": self.deliver,
        }
        self.tasks = [Task(t.name, t.every_s, own.get(t.name, t.run)) for t in TASKS]
        self.last_run: dict[str, datetime] = {}
        self.errors: list[str] = []
        self.sending_from: int | None = None

    def deliver(self, database: Database) -> int:
        """The outbox, with the soak's receivers; while it runs, `sending_from` marks where this delivery's
        receipts begin: a worker killed mid-delivery wrote none of their outcomes (all may come again)."""
        self.sending_from = len(self.edges.edge.receipts)
        delivered = alerts.tick(database, default_routes(), self.edges.notifiers())
        self.sending_from = None
        return delivered

    def round(self, now: datetime) -> None:
        """Every task whose period has passed, in the production order; a failing task is logged and
        retried on its next turn, as `run_forever` does. `WorkerKilled` goes through."""
        for task in self.tasks:
            last = self.last_run.get(task.name)
            if last is not None and (now - last).total_seconds() < task.every_s:
                continue
            self.last_run[task.name] = now
            try:
                task.run(self.database)
            except Exception as error:  # noqa: BLE001 - one task's failure must not stop the others
                log.exception("task failed", extra={"task": task.name})
                self.errors.append(f"{now.isoformat()} {task.name}: {type(error).__name__}: {error}"[:500])

    def next_due(self) -> datetime | None:
        """The earliest moment a task has work: a run the engine claims (`remediation.claim`: working, or
        handed over on a ticket) due and not leased, a notification group to flush, a message to send."""
        R = RemediationRun
        claimed = or_(
            R.state.in_([s.value for s in fsm.ACTIVE]), (R.state == "escalated") & R.ticket.is_not(None)
        )
        free_at = case(
            (R.lease_expires_at.is_not(None) & (R.lease_expires_at > R.due_at), R.lease_expires_at),
            else_=R.due_at,
        )
        pending = Outbox.status == OutboxStatus.PENDING.value
        with self.database.transaction() as session:
            times = [
                session.scalar(select(func.min(free_at)).where(claimed)),
                session.scalar(select(func.min(NotificationGroup.flush_at))),
                session.scalar(select(func.min(Outbox.next_attempt_at)).where(pending)),
            ]
        return min((t for t in times if t is not None), default=None)

    def close(self) -> None:
        self.engine.close()
        remediation_engine.use_engine(None)
        deploy_engine.use_engine(None)
        self.database.dispose()
