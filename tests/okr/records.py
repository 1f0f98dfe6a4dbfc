"""Records dated where a goals test wants them: each maker adds rows at `at` and says which of their
times to shift when the test moves them (`{attribute: offset from at}`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.alerts.models import Outbox
from fleetops.audit.models import AuditEvent
from fleetops.auth.principal import SYSTEM
from fleetops.deploy.models import Decommission, NodeBringup, Rollout
from fleetops.health.models import HealthReport
from fleetops.inventory.apply import apply_document
from fleetops.inventory.models import Cluster, Node
from fleetops.inventory.schemas import Document
from fleetops.okr import pager
from fleetops.remediation import service as remediation
from fleetops.remediation.models import RemediationRun
from fleetops.remediation.schemas import SettingsUpdate

Dated = list[tuple[Any, dict[str, timedelta]]]
Maker = Callable[[Session, datetime], Dated]
ZERO = timedelta(0)
HISTORY = "id,created_on,title\n" + "".join(
    f"{i},2026-01-0{1 + i % 3}T0{i % 9}:00:00Z,page {i}\n" for i in range(30)
)  # 30 pages over 3 days: 10 a day


def report(session: Session, hostname: str, at: datetime) -> Dated:
    node = session.scalar(select(Node).where(Node.hostname == hostname))
    row = HealthReport(
        report_id=str(uuid.uuid4()),
        node_id=node.id,
        actor="agent",
        agent_version="test",
        collected_at=at,
        received_at=at,
        skew_s=0.0,
        clock_skewed=False,
        gpu_count=8,
        finding_count=0,
    )
    session.add(row)
    return [(row, {"received_at": ZERO, "collected_at": ZERO})]


def run(fault_class: str) -> Maker:
    def make(session: Session, at: datetime) -> Dated:
        node = session.scalar(select(Node).where(Node.hostname == "a000"))
        row = RemediationRun(
            node_id=node.id,
            hostname="a000",
            cluster_id=node.cluster_id,
            check="xid",
            rule="xid-79",
            fault_class=fault_class,
            reason="XID 79",
            state="resolved",
            plan=["reset_gpu"],
            detected_at=at,
            back_in_service_at=at + timedelta(minutes=10),
            finished_at=at + timedelta(minutes=10),
        )
        session.add(row)
        return [(row, {"detected_at": ZERO, "back_in_service_at": timedelta(minutes=10)})]

    return make


def rollout(session: Session, at: datetime) -> Dated:
    """One node of 8 GPUs ready an hour after it enrolled, after a person stepped in."""
    node = session.scalar(select(Node).where(Node.hostname == "a000"))
    made = Rollout(name=f"r-{uuid.uuid4().hex[:8]}", cluster_id=node.cluster_id, image="i", profile="p")
    made.state, made.created_by, made.created_at = "completed", "test", at
    session.add(made)
    session.flush()
    bringup = NodeBringup(
        rollout_id=made.id,
        node_id=node.id,
        hostname=node.hostname,
        rack_id=node.rack_id,
        site_id=1,
        gpu_count=8,
        state="ready",
        escalations=1,
        enrolled_at=at,
        ready_at=at + timedelta(hours=1),
    )
    session.add(bringup)
    return [(made, {"created_at": ZERO})]


def page(session: Session, at: datetime) -> Dated:
    pager.import_history(session, SYSTEM, HISTORY, "pd.csv")
    rows = [
        Outbox(
            receiver="oncall-pager",
            kind="pagerduty",
            destination="x",
            dedup_key=f"k{i}",
            action="trigger",
            payload={},
            status="delivered",
            created_at=at,
            next_attempt_at=at,
        )
        for i in range(60)
    ]
    session.add_all(rows)
    return [(row, {"created_at": ZERO}) for row in rows]


def decommission(session: Session, at: datetime) -> Dated:
    row = Decommission(
        cluster_id=2,
        requested_by="test",
        requested_at=at - timedelta(hours=10),
        deadline_at=at + timedelta(hours=14),
        finished_at=at,
        state="done",
    )
    session.add(row)
    return [(row, {"requested_at": timedelta(hours=-10), "finished_at": ZERO})]


def switch_off(session: Session, at: datetime) -> Dated:
    """Remediation turned off on alpha at `at` (its audited change is what dates it)."""
    previous = clock.use(clock.ManualClock(at))
    try:
        remediation.update_settings(session, SYSTEM, 1, SettingsUpdate(enabled=False))
    finally:
        clock.use(previous)
    event = session.scalars(select(AuditEvent).where(AuditEvent.target_type == "remediation_settings")).one()
    return [(event, {"at": ZERO})]


def untracked_cluster(session: Session, at: datetime) -> Dated:
    """gamma: no customer, supplier or contract."""
    previous = clock.use(clock.ManualClock(at))
    try:
        document = {"clusters": [{"name": "gamma", "orchestrator": "kubernetes", "state": "active"}]}
        apply_document(session, "test", Document.model_validate(document))
    finally:
        clock.use(previous)
    return [(session.scalars(select(Cluster).where(Cluster.name == "gamma")).one(), {"created_at": ZERO})]


def move(rows: Dated, at: datetime) -> None:
    for row, times in rows:
        for attribute, offset in times.items():
            setattr(row, attribute, at + offset)
