"""Writers of the records a scorecard reads, each through the path fleetops itself writes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.alerts.models import Incident
from fleetops.deploy.models import NodeBringup, Rollout
from fleetops.health.evaluate import NODE_SILENT
from fleetops.health.models import HealthFinding
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Cluster, Node, Rack
from fleetops.inventory.moves import move_nodes
from fleetops.remediation.choices import FaultClass, RunState
from fleetops.remediation.models import RemediationRun, RemediationStep


def move(session: Session, hostname: str, state: NodeState) -> None:
    """At the clock's time, as the remediation engine moves a node."""
    node = session.scalars(select(Node).where(Node.hostname == hostname)).one()
    assert move_nodes(session, {node.id: (state, hostname, "test")}, "test", "remediation.node_state") == 1


def incident(
    session: Session, supplier: str, opened: datetime, receivers: tuple = ("supplier-slack",)
) -> int:
    row = Incident(
        key=f"k-{opened.isoformat()}-{supplier}",
        scope="node",
        subject="a000",
        owner="hardware",
        status="open",
        priority="P2",
        labels={"supplier": supplier},
        disposition="notify",
        receivers=list(receivers),
        opened_at=opened,
        updated_at=opened,
    )
    session.add(row)
    session.flush()
    return row.id


def bringup(
    session: Session,
    hostname: str,
    enrolled: datetime,
    state: str,
    escalations: int = 0,
    rollout: str = "r1",
    ready_at: datetime | None = None,
) -> None:
    node = session.scalars(select(Node).where(Node.hostname == hostname)).one()
    rack = session.get(Rack, node.rack_id)
    row = session.scalar(select(Rollout).where(Rollout.name == rollout))
    if row is None:
        cluster = session.scalars(select(Cluster).where(Cluster.id == node.cluster_id)).one()
        row = Rollout(name=rollout, cluster_id=cluster.id, image="img", profile="p", created_by="t")
        session.add(row)
        session.flush()
    session.add(
        NodeBringup(
            rollout_id=row.id,
            node_id=node.id,
            hostname=hostname,
            rack_id=rack.id,
            site_id=rack.site_id,
            gpu_count=8,
            state=state,
            escalations=escalations,
            enrolled_at=enrolled,
            ready_at=ready_at,
        )
    )
    session.flush()


def ticket(
    session: Session, hostname: str, supplier_id: int, opened: datetime, closed: datetime | None
) -> None:
    node = session.scalars(select(Node).where(Node.hostname == hostname)).one()
    run = RemediationRun(
        node_id=node.id,
        hostname=hostname,
        supplier_id=supplier_id,
        check="xid",
        rule="r",
        fault_class=FaultClass.HARDWARE,
        reason="r",
        state=RunState.RESOLVED if closed else RunState.ESCALATED,
        plan=["rma_ticket"],
        ticket="RMA-1",
        detected_at=opened,
        back_in_service_at=closed,
    )
    session.add(run)
    session.flush()
    for at in [opened] + ([closed] if closed else []):
        session.add(
            RemediationStep(
                run_id=run.id,
                at=at,
                actor="engine",
                from_state="acting",
                to_state="acting",
                action="rma_ticket",
                outcome="ok",
            )
        )
    session.flush()


def silent(session: Session, hostname: str, opened: datetime, resolved: datetime | None) -> None:
    node = session.scalars(select(Node).where(Node.hostname == hostname)).one()
    session.add(
        HealthFinding(
            node_id=node.id,
            key=f"silent-{hostname}-{opened.isoformat()}",
            check=NODE_SILENT,
            severity="warning",
            title="silent",
            action="none",
            owner="unknown",
            summary="",
            source="sweep",
            reported_by="fleetops",
            opened_at=opened,
            last_seen_at=opened,
            resolved_at=resolved,
        )
    )
    session.flush()
