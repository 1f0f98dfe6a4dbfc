"""The NetBox sync against the fake: first and repeated sync, all-or-none batches with the request id in
the audit, outage and resume, NetBox's field errors, every planted drift found with no false positive."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import delete, select, update

from fleetops.adapters.netbox.client import NetboxClient
from fleetops.adapters.netbox.fake import FakeNetbox
from fleetops.assets import drift, netbox_sync
from fleetops.assets.models import NetboxLink
from fleetops.audit.models import AuditEvent
from fleetops.db.session import Database
from fleetops.errors import ExternalError, InvalidInput
from fleetops.inventory.models import Node

# The seven drifts both this test and the real NetBox's plant: deleted, made by hand, serial edited,
# moved, status edited in NetBox, moved on both sides (a conflict), a GPU deleted.
PLANTED = {
    ("missing_in_netbox", "devices", "SN-a001"),
    ("missing_in_fleetops", "devices", "stray"),
    ("serial", "devices", "SN-b000"),
    ("placement", "devices", "SN-b001"),
    ("status", "devices", "SN-b002"),
    ("conflict", "devices", "SN-a002"),
    ("missing_in_netbox", "gpus", "SN-a000/gpu3"),
}


def client(fake: FakeNetbox) -> NetboxClient:
    return NetboxClient(
        "http://netbox.test", "nbt_k.t", page=4, transport=fake, sleep=lambda s: None, retries=2
    )


def test_a_first_sync_pushes_everything_and_a_second_changes_nothing(shipped: Database) -> None:
    fake = FakeNetbox()
    done = netbox_sync.sync(shipped, client(fake), "test", batch=4)
    assert done == {
        "regions created": 1, "sites created": 2, "racks created": 2, "devices created": 6, "gpus created": 48
    }  # fmt: skip
    a000 = fake.find("dcim/devices", name="a000")
    assert a000["serial"] == "SN-a000" and a000["status"] == "planned"  # shipped asset: planned, not active
    assert a000["face"] == "front" and a000["role"] == fake.find("dcim/device-roles", slug="gpu-server")["id"]
    dell = fake.find("dcim/manufacturers", slug="dell")["id"]  # the purchase order's vendor
    assert fake.objects["dcim/device-types"][a000["device_type"]] | {"id": 0} == {
        "id": 0, "manufacturer": dell, "model": "XE9680", "slug": "dell-xe9680"
    }  # fmt: skip
    b000 = fake.find("dcim/devices", name="b000")
    assert fake.objects["dcim/device-types"][b000["device_type"]]["model"] == "H100-SXM5-80GB server"
    assert a000["custom_fields"]["fleetops_shipped_at"] == "2026-03-02T10:00:00+00:00"
    assert fake.find("dcim/devices", name="b000")["status"] == "active"  # a ready node without an asset
    assert netbox_sync.sync(shipped, client(fake), "test", batch=4) == {}
    with shipped.transaction() as session:
        audited = session.scalars(
            select(AuditEvent.changes).where(AuditEvent.action == "netbox.created")
        ).all()
        assert len(audited) == 1 + 1 + 1 + 2 + 12 and all(len(c["request_id"]) == 36 for c in audited)


def test_an_outage_leaves_fleetops_consistent_and_the_next_sync_resumes(shipped: Database) -> None:
    fake = FakeNetbox()
    original = fake.handle_request

    def flaky(request):  # NetBox goes down (3 x 503, more than the 2 retries) when the GPUs' turn comes
        if request.method == "POST" and "inventory-items" in str(request.url):
            fake.fail_next = [503, 503, 503]
            fake.handle_request = original
        return original(request)

    fake.handle_request = flaky  # type: ignore[method-assign]
    with pytest.raises(ExternalError) as caught:
        netbox_sync.sync(shipped, client(fake), "test", batch=4)
    assert caught.value.retryable
    with shipped.transaction() as session:
        kinds = [k for k in session.scalars(select(NetboxLink.kind))]
    assert kinds.count("devices") == 6 and kinds.count("gpus") == 0
    done = netbox_sync.sync(shipped, client(fake), "test", batch=4)
    assert done == {"gpus created": 48}
    assert len(fake.objects["dcim/devices"]) == 6 and len(fake.objects["dcim/inventory-items"]) == 48


def test_netbox_field_errors_reach_the_operator() -> None:
    """In NetBox 4.7's bulk error shape: the summary, then each refused entry by its place in the batch."""
    good = {"name": "x", "site": 1, "device_type": 1, "role": 1, "status": "planned"}
    with pytest.raises(InvalidInput) as caught:
        client(FakeNetbox()).bulk_create("dcim/devices", [good, good | {"status": None}])
    assert str(caught.value) == (
        "netbox refused POST /dcim/devices/: 400 1 of 2 objects could not be created. "
        "entry 1: status: ['This field is required.']"
    )
    with pytest.raises(InvalidInput) as caught:
        client(FakeNetbox()).bulk_create("dcim/devices", [good | {"status": None}] * 7)
    said = str(caught.value)  # five named, the rest counted: one line however large the batch
    assert said.count("status: ['This field is required.']") == 5 and said.endswith(" | and 2 more")


def test_a_lifecycle_date_needs_its_custom_field_in_netbox() -> None:
    """NetBox refuses custom fields it does not define; the sync creates them before the first device."""
    device = {"name": "x", "site": 1, "status": "planned", "device_type": 1, "role": 1}
    with pytest.raises(InvalidInput, match="Custom field 'fleetops_ordered_at' does not exist"):
        client(FakeNetbox()).bulk_create(
            "dcim/devices", [device | {"custom_fields": {"fleetops_ordered_at": None}}]
        )


def test_every_planted_drift_is_found_and_nothing_else(shipped: Database) -> None:
    fake = FakeNetbox()
    netbox_sync.sync(shipped, client(fake), "test")
    devices = fake.objects["dcim/devices"]
    del devices[fake.find("dcim/devices", name="a001")["id"]]  # 1 deleted in NetBox
    client(fake).bulk_create(
        "dcim/devices", [{"name": "stray", "site": 1, "status": "active", "device_type": 1, "role": 1}]
    )  # 2
    fake.find("dcim/devices", name="b000")["serial"] = "SN-typo"  # 3 serial edited in NetBox
    fake.find("dcim/devices", name="b001")["position"] = 30  # 4 moved in NetBox
    fake.find("dcim/devices", name="b002")["status"] = "offline"  # 5 status edited in NetBox
    fake.find("dcim/devices", name="a002")["position"] = 7  # 6 both sides moved it: a conflict
    del fake.objects["dcim/inventory-items"][fake.find("dcim/inventory-items", serial="S-a000-3")["id"]]  # 7
    with shipped.transaction() as session:
        session.execute(update(Node).where(Node.hostname == "a002").values(position=9))
    with shipped.transaction() as session:
        found = {(d.kind, d.object, d.key) for d in drift.report(session, client(fake))}
    assert found == PLANTED
    assert netbox_sync.sync(shipped, client(fake), "test")["conflicts left"] == 1
    assert fake.find("dcim/devices", name="a002")["position"] == 7  # never overwritten


def test_completeness_per_pod(shipped: Database) -> None:
    with shipped.transaction() as session:
        assert [p["share"] for p in drift.completeness(session)] == [0.0, 0.0]
    netbox_sync.sync(shipped, client(FakeNetbox()), "test")
    with shipped.transaction() as session:
        session.execute(update(Node).where(Node.hostname == "b000").values(position=None))
    with shipped.transaction() as session:
        pods = {p["pod"]: (p["nodes"], p["complete"]) for p in drift.completeness(session)}
    assert pods == {"p1": (3, 3), "p9": (3, 2)}


def test_a_batch_whose_answer_was_lost_is_adopted_not_created_twice(shipped: Database) -> None:
    """NetBox took the first devices batch but the answer timed out: no second POST, and the next sync
    links what landed by serial instead of creating it again."""
    fake = FakeNetbox()
    original = fake.handle_request
    lost = []

    def timing_out(request):
        answer = original(request)
        if request.method == "POST" and "devices" in str(request.url) and not lost:
            lost.append(request)
            raise httpx.ReadTimeout("the answer never came", request=request)
        return answer

    fake.handle_request = timing_out  # type: ignore[method-assign]
    with pytest.raises(ExternalError) as caught:
        netbox_sync.sync(shipped, client(fake), "test", batch=4)
    assert caught.value.retryable and len(lost) == 1 and len(fake.objects["dcim/devices"]) == 4
    done = netbox_sync.sync(shipped, client(fake), "test", batch=4)
    assert (done["devices adopted"], done["devices created"]) == (4, 2)
    assert sorted(d["serial"] for d in fake.objects["dcim/devices"].values()) == [
        "SN-a000", "SN-a001", "SN-a002", "SN-b000", "SN-b001", "SN-b002"
    ]  # fmt: skip
    with shipped.transaction() as session:
        assert drift.report(session, client(fake)) == []


def test_a_device_kept_by_hand_in_netbox_is_adopted_and_its_differences_reported(shipped: Database) -> None:
    fake = FakeNetbox()
    netbox_sync.sync(shipped, client(fake), "test")
    hand = dict(fake.find("dcim/devices", serial="SN-b001")) | {"position": 30}
    fake.objects["dcim/devices"].clear()
    fake.objects["dcim/devices"][hand["id"]] = hand  # NetBox as kept by hand: one server, moved
    with shipped.transaction() as session:
        session.execute(delete(NetboxLink).where(NetboxLink.kind == "devices"))
    done = netbox_sync.sync(shipped, client(fake), "test")
    assert (done["devices adopted"], done["devices created"]) == (1, 5)
    assert fake.find("dcim/devices", serial="SN-b001")["position"] == 30  # NetBox's word is not overwritten
    with shipped.transaction() as session:
        found = [(d.kind, d.key) for d in drift.report(session, client(fake)) if d.object == "devices"]
    assert found == [("placement", "SN-b001")]
