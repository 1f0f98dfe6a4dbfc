"""The people a soak's fleet answers to, played by the simulator: the supplier working the remediation
tickets and the alert path's, and our on-call person answering pages.

The supplier replaces the part after a drawn RMA turnaround (`scenario.rma_turnaround_s`), finds nothing
on a node that had nothing wrong, fixes a fabric once for every ticket it caused, and takes a ticket back
when we reopen it (a replacement part that did not hold). An alert ticket they close after a check (every
2 to 8 hours) finds nothing wrong left on its nodes. The on-call person answers a page after 15 to
90 minutes: a run handed to a person is fixed by hand and marked repaired; a tripped breaker is looked at,
the runs it held for nodes that are healthy again are cancelled, and the breaker is reset. Each of those is
a step by our own staff, which the soak counts against automation.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select

from fleetops.adapters.jira.fake import FakeJira
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.db.session import Database
from fleetops.health.choices import HealthState
from fleetops.health.models import NodeHealth
from fleetops.remediation import service
from fleetops.remediation.choices import RunState
from fleetops.remediation.models import RemediationRun
from fleetops.sim.scenario import (
    BAD_PART_SHARE,
    Cure,
    check_s,
    no_fault_found_s,
    oncall_delay_s,
    rma_turnaround_s,
)
from fleetops.sim.world import Schedule, World

ONCALL = Principal(Role.OPERATOR, "oncall")
RUN_PAGE, BREAKER_PAGE = "fleetops-remediation-", "breaker-"


@dataclass
class Supplier:
    world: World
    rng: random.Random
    schedule: Schedule
    jira: FakeJira  # the alert path's tickets, which the supplier closes after checking the nodes
    incident_hosts: Callable[[int], frozenset[str]]
    hosts: dict[str, str] = field(default_factory=dict)  # ticket → host
    working: set[str] = field(default_factory=set)
    closed: dict[str, datetime] = field(default_factory=dict)  # ticket or alert label → when last closed
    no_fault_found: list[str] = field(default_factory=list)
    bad_parts: int = 0
    _opened: int = 0
    _reopened: int = 0
    _issues: int = 0

    def tick(self, now: datetime) -> None:
        """Take up every ticket opened or reopened since last time."""
        notices = self.world.fakes.notices
        for ticket, host, _ in notices.opened[self._opened :]:
            self.hosts[ticket] = host
            self._take(ticket, now)
        self._opened = len(notices.opened)
        for ticket, _ in notices.reopened[self._reopened :]:
            self._take(ticket, now)
        self._reopened = len(notices.reopened)
        for key in list(self.jira.issues)[self._issues :]:
            self.schedule(now + timedelta(seconds=check_s(self.rng)), partial(self._check_alert, key))
        self._issues = len(self.jira.issues)

    def _check_alert(self, key: str, now: datetime) -> None:
        """An alert ticket is closed once its nodes have nothing wrong left; otherwise looked at again."""
        labels = self.jira.issues[key].get("labels", [])
        label = next((x for x in labels if x.startswith("fleetops-incident-")), key)
        hosts = self.incident_hosts(int(label.rsplit("-", 1)[1])) if label != key else frozenset()
        if any(self.world.fault_on(h) or self.world.outage_on(h) for h in hosts):
            self.schedule(now + timedelta(seconds=check_s(self.rng)), partial(self._check_alert, key))
            return
        if self.jira.status.get(key) != "done":
            self.jira.resolve(key)
            self.closed.setdefault(label, now)

    def _take(self, ticket: str, now: datetime) -> None:
        if ticket in self.working:
            return
        self.working.add(ticket)
        host = self.hosts[ticket]
        shared = self.world.active.get(host)
        if shared is not None and shared.correlated and shared.lasts_s is not None:
            done = max(now, shared.at + timedelta(seconds=shared.lasts_s))  # the fabric, fixed once for all
        elif self.world.fault_on(host) is None:
            done = now + timedelta(seconds=no_fault_found_s(self.rng))
        else:
            done = now + timedelta(seconds=rma_turnaround_s(self.rng))
        self.schedule(done, partial(self._repair, ticket))

    def _repair(self, ticket: str, now: datetime) -> None:
        host = self.hosts[ticket]
        holds = self.rng.random() >= BAD_PART_SHARE
        shared = self.world.active.get(host)
        if shared is not None and shared.correlated:
            self.world.end(shared, now, "the supplier repaired the fabric")
        elif not self.world.replace_part(host, now, holds):
            self.no_fault_found.append(ticket)
        elif not holds:
            self.bad_parts += 1
        self.working.discard(ticket)
        self.closed[ticket] = now
        self.world.fakes.notices.close(ticket)


@dataclass
class OnCall:
    """Our on-call person: everything they do is recorded under `ONCALL` (a staff step)."""

    world: World
    rng: random.Random
    schedule: Schedule
    database: Database
    received: list[tuple[str, datetime]] = field(default_factory=list)  # every page, with its time
    answering: set[str] = field(default_factory=set)
    actions: list[tuple[str, datetime, str]] = field(default_factory=list)

    def tick(self, now: datetime) -> None:
        for key in list(self.world.fakes.notices.pages):
            if key not in self.answering:
                self.answering.add(key)
                self.received.append((key, now))
                self.schedule(now + timedelta(seconds=oncall_delay_s(self.rng)), partial(self._answer, key))

    def _answer(self, key: str, now: datetime) -> None:
        """Look at what the page is about and act; then resolve the page (PagerDuty pages again after)."""
        if key.startswith(RUN_PAGE):
            self._repair_run(int(key.removeprefix(RUN_PAGE)), now)
        elif key.startswith(BREAKER_PAGE):
            scope, _, subject = key.removeprefix(BREAKER_PAGE).partition("-")
            self._review_breaker(scope, int(subject), now)
        self.world.fakes.notices.pages.pop(key, None)
        self.answering.discard(key)

    def _repair_run(self, run_id: int, now: datetime) -> None:
        with self.database.transaction() as session:
            run = session.get(RemediationRun, run_id)
            if run is None or run.state is not RunState.ESCALATED or run.ticket:
                return
            host = run.hostname
        fault = self.world.fault_on(host)
        outage = self.world.outage_on(host)
        if outage is not None and outage.lasts_s is not None:  # the rack's power or switch: wait for it
            later = max(now, outage.at + timedelta(seconds=outage.lasts_s)) + timedelta(minutes=10)
            self.schedule(later, partial(self._mark_repaired, run_id, host))
        elif fault is not None and fault.cure is Cure.PART:  # a part: the person gets the supplier to fit it
            later = now + timedelta(seconds=rma_turnaround_s(self.rng))
            self.schedule(later, partial(self._mark_repaired, run_id, host))
        else:
            self._mark_repaired(run_id, host, now)

    def _mark_repaired(self, run_id: int, host: str, now: datetime) -> None:
        fixed = self.world.fix_by_hand(host, now)
        note = "fixed by hand" if fixed else "looked at it: nothing wrong"
        with self.database.transaction() as session:
            run = session.get(RemediationRun, run_id)
            if run is None or run.state is not RunState.ESCALATED:
                return
            service.mark_repaired(session, ONCALL, run_id, note)
        self.actions.append(("mark_repaired", now, f"run {run_id} on {host}: {note}"))

    def _review_breaker(self, scope: str, subject: int, now: datetime) -> None:
        """Cancel the held runs of nodes that are healthy again (in the breaker's cluster or supplier, or the
        whole fleet's), then reset the breaker."""
        columns = {"cluster": RemediationRun.cluster_id, "supplier": RemediationRun.supplier_id}
        query = (
            select(RemediationRun.id, RemediationRun.hostname, NodeHealth.state)
            .outerjoin(NodeHealth, NodeHealth.node_id == RemediationRun.node_id)
            .where(RemediationRun.state == RunState.PENDING.value)
        )
        if scope in columns:
            query = query.where(columns[scope] == subject)
        with self.database.transaction() as session:
            held = session.execute(query).all()
            for run_id, host, health in held:
                if health == HealthState.HEALTHY.value and self.world.fault_on(host) is None:
                    service.cancel(session, ONCALL, run_id, "node healthy again: nothing to repair")
                    self.actions.append(("cancel", now, f"run {run_id} on {host}"))
            service.reset_breaker(session, ONCALL, scope, subject)
        self.actions.append(("breaker_reset", now, f"{scope} {subject}"))
