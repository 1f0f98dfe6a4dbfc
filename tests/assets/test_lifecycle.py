"""The asset lifecycle: the transition table, the dates, the history, the audit, the link to the node."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fleetops.assets import fsm, service
from fleetops.assets.choices import AssetState
from fleetops.assets.schemas import MoveRequest
from fleetops.audit.models import AuditEvent
from fleetops.auth.principal import SYSTEM
from fleetops.db.session import Database
from fleetops.errors import InvalidInput, InvalidTransition
from fleetops.inventory.models import Node
from tests.assets.conftest import DELIVERY_CSV, import_file

S = AssetState


def move(database: Database, serial: str, state: AssetState, reason: str = "test") -> dict:
    with database.transaction() as session:
        return service.move(session, SYSTEM, serial, MoveRequest(state=state, reason=reason)).model_dump()


def test_every_state_has_a_row_and_retired_is_final() -> None:
    assert set(fsm.TRANSITIONS) == set(AssetState)
    assert fsm.TRANSITIONS[S.RETIRED] == frozenset()
    reachable = {S.ORDERED} | {s for targets in fsm.TRANSITIONS.values() for s in targets}
    assert reachable == set(AssetState)


def test_from_delivery_to_deployed_links_the_node_by_serial_and_audits_each_move(shipped: Database) -> None:
    import_file(shipped, "delivery", DELIVERY_CSV)
    for state in (S.RECEIVED, S.RACKED, S.DEPLOYED):
        detail = move(shipped, "SN-a000", state)
    assert detail["hostname"] == "a000" and detail["state"] == "deployed"
    assert [h["to_state"] for h in detail["history"]] == [
        "ordered",
        "shipped",
        "delivered",
        "received",
        "racked",
        "deployed",
    ]
    assert detail["racked_at"] is not None and detail["retired_at"] is None
    with shipped.transaction() as session:
        stmt = select(AuditEvent.changes).where(AuditEvent.target_key == "SN-a000").order_by(AuditEvent.id)
        audited = [c["state"] for c in session.scalars(stmt)]
    steps = ["ordered", "shipped", "delivered", "received", "racked", "deployed"]
    assert audited == [[a, b] for a, b in zip(steps, steps[1:], strict=False)]


def test_a_move_the_table_does_not_allow_is_refused_and_changes_nothing(shipped: Database) -> None:
    with pytest.raises(
        InvalidTransition, match="asset SN-a000: field state: shipped → deployed is not allowed"
    ):
        move(shipped, "SN-a000", S.DEPLOYED)
    with shipped.transaction() as session:
        assert service.get_asset(session, SYSTEM, "SN-a000").state is S.SHIPPED


def test_racking_a_server_no_inventory_node_has_is_refused(shipped: Database) -> None:
    import_file(shipped, "delivery", DELIVERY_CSV)
    with shipped.transaction() as session:
        session.execute(Node.__table__.update().where(Node.hostname == "a001").values(serial="SN-other"))
    move(shipped, "SN-a001", S.RECEIVED)
    with pytest.raises(InvalidInput, match="asset SN-a001: field serial: no inventory node has this serial"):
        move(shipped, "SN-a001", S.RACKED)
    with shipped.transaction() as session:
        assert service.get_asset(session, SYSTEM, "SN-a001").state is S.RECEIVED
