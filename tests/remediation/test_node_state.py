"""The node follows its run in the inventory: draining, repair, RMA, back to ready, each move audited."""

from __future__ import annotations

from sqlalchemy import select

from fleetops.audit.models import AuditEvent
from fleetops.auth.principal import SYSTEM
from fleetops.inventory.models import Node
from fleetops.remediation import service
from fleetops.remediation.choices import RunState


def _state(bed, hostname: str) -> str:
    with bed.database.transaction() as session:
        return str(session.scalar(select(Node.state).where(Node.hostname == hostname)))


def _moves(bed, hostname: str) -> list[list[str]]:
    with bed.database.transaction() as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "remediation.node_state", AuditEvent.target_key == hostname)
            .order_by(AuditEvent.id)
        )
        return [r.changes["state"] for r in rows]


def test_a_reboot_takes_the_node_out_and_brings_it_back(bed):
    assert _state(bed, "b000") == "ready"
    [run_id] = bed.finding("b000", xid=79)
    bed.play(30)
    assert _state(bed, "b000") == "repair"  # drained, then the reboot started
    bed.play(16 * 60)
    assert bed.run(run_id).state is RunState.RESOLVED
    assert _state(bed, "b000") == "ready"
    assert _moves(bed, "b000") == [["ready", "draining"], ["draining", "repair"], ["repair", "ready"]]


def test_a_node_handed_to_the_supplier_is_in_rma_until_the_repair_is_verified(bed):
    [run_id] = bed.finding("a002", check="row_remap_failure", gpu=1)
    bed.play(120)
    assert bed.run(run_id).state is RunState.ESCALATED
    assert _state(bed, "a002") == "rma"
    bed.world.notices.close(bed.run(run_id).ticket)
    bed.play(1800, step_s=60)
    assert _state(bed, "a002") == "ready"
    assert _moves(bed, "a002")[-2:] == [["rma", "repair"], ["repair", "ready"]]


def test_a_persons_repair_moves_the_node_to_verification(bed):
    bed.world.verifier.failing.add("a000")
    [run_id] = bed.finding("a000", xid=62)
    bed.play(3 * 3600, step_s=30)
    assert _state(bed, "a000") == "rma"
    bed.world.verifier.failing.discard("a000")
    with bed.database.transaction() as session:
        service.mark_repaired(session, SYSTEM, run_id, "board swapped")
    assert _state(bed, "a000") == "repair"
    bed.play(600)
    assert _state(bed, "a000") == "ready"


def test_a_notify_only_run_leaves_the_node_alone(bed):
    bed.finding("a000", xid=13)
    bed.play(60)
    assert _state(bed, "a000") == "ready" and _moves(bed, "a000") == []
