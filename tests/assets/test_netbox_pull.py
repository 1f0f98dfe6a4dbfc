"""Pulling NetBox's edits back, against the fake (its change log as NetBox keeps it): placement and an
asset's status applied through fleetops' own rules and audited with NetBox's request id, both-sides edits
reported and left alone, fleetops' own fields and forbidden moves refused (without holding back the
device's other fields), the cursor resumed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, update

from fleetops.adapters.netbox.fake import CHANGES, FakeNetbox
from fleetops.assets import drift, netbox_pull, netbox_sync
from fleetops.assets.models import Asset, AssetTransition, NetboxCursor, NetboxLink
from fleetops.audit.models import AuditEvent
from fleetops.db.session import Database
from fleetops.errors import ExternalError
from fleetops.inventory.models import Gpu, Node, Rack
from tests.assets.test_netbox import client
from tests.factories import load


def edit(fake: FakeNetbox, name: str, **fields: Any) -> str:
    """An edit made in NetBox through its API, as the DCIM team's would be: NetBox's request id."""
    netbox = client(fake)
    netbox.bulk_update("dcim/devices", [{"id": fake.find("dcim/devices", name=name)["id"]} | fields])
    assert netbox.last_request_id is not None
    return netbox.last_request_id


def node(database: Database, hostname: str) -> tuple[str, str, int | None, str]:
    with database.transaction() as session:
        row = session.execute(
            select(Rack.name, Rack.pod, Node.position, Node.state)
            .join(Rack, Rack.id == Node.rack_id)
            .where(Node.hostname == hostname)
        ).one()
    return tuple(row)  # type: ignore[return-value]


def pulled(database: Database, serial: str) -> list[tuple[str, dict[str, Any]]]:
    with database.transaction() as session:
        return [
            (result, changes)
            for result, changes in session.execute(
                select(AuditEvent.result, AuditEvent.changes)
                .where(AuditEvent.action == "netbox.pulled", AuditEvent.target_key == serial)
                .order_by(AuditEvent.id)
            )
        ]


def test_netbox_placement_and_status_edits_are_applied_and_audited(shipped: Database) -> None:
    load(shipped, {"racks": [{"name": "r02", "site": "aus1", "pod": "p9"}]})
    fake = FakeNetbox()
    netbox_sync.sync(shipped, client(fake), "test")
    r02 = fake.find("dcim/racks", name="r02")["id"]
    moved = edit(fake, "b001", rack=r02, position=30)  # the DCIM team moved it to another rack
    delivered = edit(fake, "a000", status="inventory")  # and saw the shipped server arrive

    assert netbox_pull.pull(shipped, client(fake), "test") == {"devices pulled": 2}
    assert node(shipped, "b001") == ("r02", "p9", 30, "ready")
    with shipped.transaction() as session:
        gpus = session.scalar(select(Gpu.id).join(Node).where(Node.hostname == "b001").limit(1))
        asset = session.scalar(select(Asset).where(Asset.serial == "SN-a000"))
        history = session.scalars(
            select(AssetTransition.to_state).where(AssetTransition.asset_id == asset.id)
        )
        assert asset.state == "delivered" and asset.delivered_at is not None and gpus is not None
        assert list(history)[-1] == "delivered"
    (result, entry), *_ = pulled(shipped, "SN-b001")
    assert (result, entry["request_id"], entry["netbox_user"]) == ("success", moved, "admin")
    assert entry["fields"] == {"rack": ["aus1/r01", "aus1/r02"], "position": [1, 30]}
    assert pulled(shipped, "SN-a000")[0][1]["fields"] == {"status": ["planned", "inventory"]}
    assert pulled(shipped, "SN-a000")[0][1]["request_id"] == delivered

    assert netbox_pull.pull(shipped, client(fake), "test") == {}  # the cursor moved past them
    assert netbox_sync.sync(shipped, client(fake), "test") == {}  # both sides agree: nothing to push
    with shipped.transaction() as session:
        assert drift.report(session, client(fake)) == []


def conflict(database: Database) -> FakeNetbox:
    """a002 moved to 7 in NetBox and to 9 in fleetops since the last sync (base 1), pulled once."""
    fake = FakeNetbox()
    netbox_sync.sync(database, client(fake), "test")
    edit(fake, "a002", position=7)
    with database.transaction() as session:
        session.execute(update(Node).where(Node.hostname == "a002").values(position=9))
    assert netbox_pull.pull(database, client(fake), "test") == {"conflicts found": 1}
    assert netbox_pull.pull(database, client(fake), "test") == {}  # still open, reported once
    return fake


def test_an_edit_on_both_sides_is_a_conflict_and_neither_side_changes(shipped: Database) -> None:
    fake = conflict(shipped)
    assert node(shipped, "a002")[2] == 9 and fake.find("dcim/devices", name="a002")["position"] == 7
    ((result, entry),) = pulled(shipped, "SN-a002")
    assert result == "conflict"
    assert entry["fields"]["position"] == {"fleetops": 9, "netbox": 7, "base": 1}
    assert netbox_sync.sync(shipped, client(fake), "test")["conflicts left"] == 1
    assert fake.find("dcim/devices", name="a002")["position"] == 7
    with shipped.transaction() as session:
        found = {(d.kind, d.key) for d in drift.report(session, client(fake))}
    assert found == {("conflict", "SN-a002")}


def test_fleetops_own_fields_and_forbidden_moves_are_refused_not_applied(shipped: Database) -> None:
    fake = FakeNetbox()
    netbox_sync.sync(shipped, client(fake), "test")
    edit(fake, "b000", serial="SN-typo")  # the serial is fleetops': never pulled
    edit(fake, "b002", status="offline", position=40)  # a node without an asset: its state machine's
    edit(fake, "a001", status="active")  # shipped → deployed: the lifecycle forbids it
    aus1 = fake.find("dcim/sites", slug="aus1")["id"]
    (r99,) = client(fake).bulk_create("dcim/racks", [{"name": "r99", "site": aus1}])  # NetBox's alone
    edit(fake, "b001", rack=r99["id"], position=12)

    assert netbox_pull.pull(shipped, client(fake), "test") == {"devices refused": 3, "devices pulled": 1}
    assert node(shipped, "b001")[::2] == ("r01", 1)
    assert "no rack fleetops holds" in pulled(shipped, "SN-b001")[0][1]["refused"]
    assert node(shipped, "b002")[2:] == (40, "ready")  # the refused status did not hold back the move
    with shipped.transaction() as session:
        assert session.scalar(select(Node.serial).where(Node.hostname == "b000")) == "SN-b000"
        assert session.scalar(select(Asset.state).where(Asset.serial == "SN-a001")) == "shipped"
    ((result, entry),) = pulled(shipped, "SN-a001")
    assert result == "refused" and "shipped → deployed is not allowed" in entry["refused"]
    assert [result for result, _ in pulled(shipped, "SN-b002")] == ["success", "refused"]
    assert "keeps fleetops' state" in pulled(shipped, "SN-b002")[1][1]["refused"]
    assert pulled(shipped, "SN-b000") == []
    with shipped.transaction() as session:
        found = {(d.kind, d.key) for d in drift.report(session, client(fake))}
    assert found == {
        ("serial", "SN-b000"), ("status", "SN-b002"), ("status", "SN-a001"), ("placement", "SN-b001"),
        ("missing_in_fleetops", "r99"),
    }  # fmt: skip


def test_fleetops_own_pushes_are_not_pulled_and_the_cursor_resumes(shipped: Database) -> None:
    fake = FakeNetbox()
    netbox_sync.sync(shipped, client(fake), "test")
    with shipped.transaction() as session:
        session.execute(update(Node).where(Node.hostname == "b000").values(position=20))
    assert netbox_sync.sync(shipped, client(fake), "test") == {"devices updated": 1}
    assert netbox_pull.pull(shipped, client(fake), "test") == {}
    with shipped.transaction() as session:
        cursor = session.scalar(select(NetboxCursor.last_id))
    assert cursor == max(fake.objects[CHANGES])

    edit_id = edit(fake, "b001", position=40)
    fake.fail_next = [503, 503, 503]  # NetBox down: the pull fails, its cursor stays
    with pytest.raises(ExternalError) as caught:
        netbox_pull.pull(shipped, client(fake), "test")
    assert caught.value.retryable
    with shipped.transaction() as session:
        assert session.scalar(select(NetboxCursor.last_id)) == cursor
    assert netbox_pull.pull(shipped, client(fake), "test") == {"devices pulled": 1}
    assert node(shipped, "b001")[2] == 40 and pulled(shipped, "SN-b001")[0][1]["request_id"] == edit_id


def test_the_first_pull_starts_at_netbox_present_and_replays_no_history(shipped: Database) -> None:
    fake = FakeNetbox()
    netbox_sync.sync(shipped, client(fake), "test")
    edit(fake, "b001", position=30)  # NetBox's history, before this fleetops knew it
    with shipped.transaction() as session:  # a fresh fleetops, meeting a NetBox kept by hand
        session.execute(delete(NetboxLink))
        session.execute(delete(NetboxCursor))
    assert netbox_pull.pull(shipped, client(fake), "test") == {}  # nothing linked yet, nothing read
    with shipped.transaction() as session:
        assert session.scalar(select(NetboxCursor.last_id)) == max(fake.objects[CHANGES])
        session.execute(delete(NetboxCursor))  # and a first push, this time, before any pull
    assert netbox_sync.sync(shipped, client(fake), "test")["devices adopted"] == 6

    assert netbox_pull.pull(shipped, client(fake), "test") == {}  # the old move is not an edit to apply
    assert node(shipped, "b001")[2] == 1 and pulled(shipped, "SN-b001") == []
    with shipped.transaction() as session:
        found = {(d.kind, d.key) for d in drift.report(session, client(fake))}
    assert found == {("placement", "SN-b001")}  # a difference for a person, as adoption leaves it
    edit(fake, "b002", position=31)  # an edit after fleetops arrived is pulled
    assert netbox_pull.pull(shipped, client(fake), "test") == {"devices pulled": 1}


def test_a_conflict_fleetops_gives_up_is_then_pulled_from_netbox(shipped: Database) -> None:
    fake = conflict(shipped)
    netbox_id = fake.find("dcim/devices", name="a002")["id"]
    asked: list[str] = []
    answer = fake.handle_request

    def seen(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return answer(request)

    fake.handle_request = seen  # type: ignore[method-assign]
    with shipped.transaction() as session:
        session.execute(update(Node).where(Node.hostname == "a002").values(position=1))  # back to the base

    assert netbox_pull.pull(shipped, client(fake), "test") == {"devices pulled": 1}
    assert any(f"id={netbox_id}" in url for url in asked)  # read again though the log shows nothing new
    assert node(shipped, "a002")[2] == 7
    results = [(result, entry["request_id"]) for result, entry in pulled(shipped, "SN-a002")]
    assert [r for r, _ in results] == ["conflict", "success"] and results[0][1] == results[1][1]
    assert netbox_sync.sync(shipped, client(fake), "test") == {}
    with shipped.transaction() as session:
        assert session.scalar(select(NetboxLink.conflict).where(NetboxLink.key == "SN-a002")) is None
        assert drift.report(session, client(fake)) == []


def test_a_conflict_netbox_gives_up_lets_fleetops_push(shipped: Database) -> None:
    fake = conflict(shipped)
    edit(fake, "a002", position=1)  # NetBox back to the base: fleetops' 9 is the only edit left

    assert netbox_pull.pull(shipped, client(fake), "test") == {}
    assert netbox_sync.sync(shipped, client(fake), "test") == {"devices updated": 1}
    assert fake.find("dcim/devices", name="a002")["position"] == 9
    with shipped.transaction() as session:
        assert session.scalar(select(NetboxLink.conflict).where(NetboxLink.key == "SN-a002")) is None
        assert drift.report(session, client(fake)) == []
