"""The NetBox sync against a real NetBox 4.7 (its own Python 3.12 venv, PostgreSQL, redis-server): the first
sync of a small fleet, an incremental sync, planted drift found, NetBox's field errors passed on, an
ASN file to a `planned` device in NetBox within 5 minutes, NetBox's edits pulled back from its change
log (a both-sides edit reported, neither side changed), and a cabling plan pushed, read back and its
cable deleted in NetBox found as drift. Each test starts from a clone of the database
migrated once (tests/assets/netbox_server.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from fleetops import config
from fleetops.adapters.netbox.client import NetboxClient
from fleetops.assets import cabling, drift, netbox_pull, netbox_sync
from fleetops.assets.models import Asset, Shipment
from fleetops.audit.models import AuditEvent
from fleetops.db.session import Database
from fleetops.errors import InvalidInput
from fleetops.inventory.models import Node
from tests.assets.conftest import ASN_CSV, import_file, order, vendor_settings  # noqa: F401 - a fixture
from tests.assets.netbox_server import NetboxServer, Unavailable, install
from tests.assets.test_netbox import PLANTED
from tests.factories import load, two_tenant_fleet

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("netbox")]  # one worker runs one NetBox


@pytest.fixture(scope="session")
def netbox_server() -> Iterator[NetboxServer]:
    try:
        server = NetboxServer(install())
    except Unavailable as missing:
        pytest.skip(str(missing))
    try:
        server.start()
        yield server
    except Unavailable as missing:
        pytest.skip(str(missing))
    finally:
        server.stop()  # by the PIDs it started, whatever happened


@pytest.fixture
def netbox(netbox_server: NetboxServer) -> Iterator[NetboxClient]:
    """A client on a NetBox database fresh from the template."""
    netbox_server.fresh()
    client = NetboxClient(netbox_server.url, netbox_server.token, page=50, backoff_s=0.2)
    yield client
    client.close()


@pytest.fixture
def racked(sqlite_database: Database, vendor_settings: config.Settings) -> Database:  # noqa: F811
    """The two-tenant fleet, each node at its own rack unit (NetBox refuses two devices in one), and
    alpha's three servers ordered under PO-1 and shipped under ASN-1."""
    fleet = two_tenant_fleet()
    for i, node in enumerate(fleet["nodes"]):
        node["position"] = 1 + 2 * (i % 3)
    load(sqlite_database, fleet)
    order(sqlite_database)
    import_file(sqlite_database, "asn", ASN_CSV)
    return sqlite_database


def device(netbox: NetboxClient, **filters: Any) -> dict[str, Any]:
    (found,) = netbox.list("dcim/devices", **filters)
    return found


def test_the_first_sync_lands_in_netbox_and_an_incremental_sync_moves_only_what_changed(
    racked: Database, netbox: NetboxClient
) -> None:
    done = netbox_sync.sync(racked, netbox, "test", batch=4)
    assert done == {
        "regions created": 1, "sites created": 2, "racks created": 2, "devices created": 6, "gpus created": 48
    }  # fmt: skip
    a000 = device(netbox, name="a000")
    assert (a000["serial"], a000["status"]["value"], a000["position"]) == ("SN-a000", "planned", 1)
    assert (a000["device_type"]["model"], a000["device_type"]["manufacturer"]["name"]) == ("XE9680", "dell")
    assert a000["role"]["slug"] == "gpu-server" and a000["rack"]["name"] == "r01"
    assert a000["custom_fields"]["fleetops_shipped_at"].startswith("2026-03-02T10:00:00")
    assert device(netbox, name="b001")["status"]["value"] == "active"
    assert len(list(netbox.list("dcim/inventory-items", device="b002"))) == 8
    with racked.transaction() as session:
        audited = session.scalars(
            select(AuditEvent.changes).where(AuditEvent.action == "netbox.created")
        ).all()
    assert len(audited) == 1 + 1 + 1 + 2 + 12 and all(len(c["request_id"]) == 36 for c in audited)
    assert netbox_sync.sync(racked, netbox, "test") == {}

    with racked.transaction() as session:
        session.execute(update(Node).where(Node.hostname.in_(["b000", "b001"])).values(position=20))
        session.execute(update(Node).where(Node.hostname == "b000").values(position=30))
    assert netbox_sync.sync(racked, netbox, "test") == {"devices updated": 2}
    assert (device(netbox, name="b000")["position"], device(netbox, name="b001")["position"]) == (30, 20)
    with racked.transaction() as session:
        assert drift.report(session, netbox) == []


def test_planted_drift_is_found_and_a_conflict_never_overwritten(
    racked: Database, netbox: NetboxClient
) -> None:
    netbox_sync.sync(racked, netbox, "test")
    http = netbox.http
    http.delete(f"/dcim/devices/{device(netbox, name='a001')['id']}/").raise_for_status()  # 1
    b000 = device(netbox, name="b000")
    refs = {field: b000[field]["id"] for field in ("site", "device_type", "role")}
    netbox.bulk_create(
        "dcim/devices", [{"name": "stray", "status": "active"} | refs]
    )  # 2 made in NetBox only
    edits = [
        {"id": device(netbox, name="b000")["id"], "serial": "SN-typo"},  # 3
        {"id": device(netbox, name="b001")["id"], "position": 30},  # 4
        {"id": device(netbox, name="b002")["id"], "status": "offline"},  # 5
        {"id": device(netbox, name="a002")["id"], "position": 7},  # 6 (fleetops moves it too)
    ]
    netbox.bulk_update("dcim/devices", edits)
    gpu = next(netbox.list("dcim/inventory-items", serial="S-a000-3"))
    http.delete(f"/dcim/inventory-items/{gpu['id']}/").raise_for_status()  # 7
    with racked.transaction() as session:
        session.execute(update(Node).where(Node.hostname == "a002").values(position=9))
    with racked.transaction() as session:
        found = {(d.kind, d.object, d.key) for d in drift.report(session, netbox)}
    assert found == PLANTED
    assert netbox_sync.sync(racked, netbox, "test")["conflicts left"] == 1
    assert device(netbox, name="a002")["position"] == 7  # never overwritten


def test_netbox_field_errors_reach_the_operator(racked: Database, netbox: NetboxClient) -> None:
    """Two servers in one rack unit: NetBox refuses the batch, names the unit, and nothing of it lands."""
    with racked.transaction() as session:
        session.execute(update(Node).where(Node.hostname.in_(["b000", "b001"])).values(position=5))
    with pytest.raises(InvalidInput) as caught:
        netbox_sync.sync(racked, netbox, "test")
    said = str(caught.value)  # both servers of the unit refused (NetBox checks the batch as one)
    assert said.startswith(
        "netbox refused POST /dcim/devices/: 400 2 of 6 objects could not be created. "
        "entry 4: position: ['U5.0 is already occupied"
    )
    assert " | entry 5: position: ['U5.0 is already occupied" in said
    assert list(netbox.list("dcim/devices")) == []  # the batch held all six: none of it landed


def test_an_asn_file_is_a_planned_device_in_netbox_within_five_minutes(
    racked: Database, netbox: NetboxClient
) -> None:
    netbox_sync.sync(racked, netbox, "test")
    order(racked, number="PO-2", quantity=2)
    started = time.monotonic()
    import_file(
        racked,
        "asn",
        "ShipmentNo,PONumber,Serial Number,Model,ShipDate\n"
        "ASN-2,PO-2,SN-new1,XE9680,03/09/2026 10:00\nASN-2,PO-2,SN-new2,XE9680,03/09/2026 10:00\n",
        source="asn-2.csv",
    )
    assert netbox_sync.sync(racked, netbox, "test") == {"devices created": 2}
    landed = device(netbox, serial="SN-new1")
    elapsed = time.monotonic() - started
    assert landed["status"]["value"] == "planned" and landed["site"]["name"] == "dfw1" and elapsed < 300
    with racked.transaction() as session:
        assert session.scalar(select(Shipment.netbox_at).where(Shipment.number == "ASN-2")) is not None


def test_netbox_edits_are_pulled_back_and_a_both_sides_edit_is_left_alone(
    racked: Database, netbox: NetboxClient
) -> None:
    netbox_sync.sync(racked, netbox, "test")
    netbox.bulk_update("dcim/devices", [{"id": device(netbox, name="b001")["id"], "position": 30}])
    moved = netbox.last_request_id
    netbox.bulk_update("dcim/devices", [{"id": device(netbox, name="a000")["id"], "status": "inventory"}])
    delivered = netbox.last_request_id
    netbox.bulk_update("dcim/devices", [{"id": device(netbox, name="a002")["id"], "position": 7}])
    with racked.transaction() as session:
        session.execute(update(Node).where(Node.hostname == "a002").values(position=9))

    assert netbox_pull.pull(racked, netbox, "test") == {"devices pulled": 2, "conflicts found": 1}
    with racked.transaction() as session:
        positions = dict(session.execute(select(Node.hostname, Node.position)).all())
        state = session.scalar(select(Asset.state).where(Asset.serial == "SN-a000"))
        audited = {
            (key, result): changes
            for key, result, changes in session.execute(
                select(AuditEvent.target_key, AuditEvent.result, AuditEvent.changes).where(
                    AuditEvent.action == "netbox.pulled"
                )
            )
        }
    assert (positions["b001"], state) == (30, "delivered")
    assert audited[("SN-b001", "success")]["request_id"] == moved and moved is not None
    assert audited[("SN-a000", "success")]["request_id"] == delivered
    assert audited[("SN-a000", "success")]["fields"] == {"status": ["planned", "inventory"]}
    assert audited[("SN-a002", "conflict")]["fields"]["position"] == {"fleetops": 9, "netbox": 7, "base": 5}
    assert positions["a002"] == 9 and device(netbox, name="a002")["position"] == 7  # neither side changed
    assert netbox_pull.pull(racked, netbox, "test") == {}
    assert netbox_sync.sync(racked, netbox, "test") == {"conflicts left": 1}
    with racked.transaction() as session:
        assert {(d.kind, d.key) for d in drift.report(session, netbox)} == {("conflict", "SN-a002")}
    logged = [change["id"] for change in netbox.list("core/object-changes")]
    assert netbox.latest_id("core/object-changes") == max(logged)  # where a first push or pull starts

    with racked.transaction() as session:  # fleetops gives way: NetBox's edit, read again, is applied
        session.execute(update(Node).where(Node.hostname == "a002").values(position=5))
    assert netbox_pull.pull(racked, netbox, "test") == {"devices pulled": 1}
    with racked.transaction() as session:
        assert session.scalar(select(Node.position).where(Node.hostname == "a002")) == 7
        assert drift.report(session, netbox) == []


def test_a_cabling_plan_lands_in_netbox_and_a_cable_deleted_there_is_drift(
    racked: Database, netbox: NetboxClient
) -> None:
    plan = "a_node,a_switch,a_port,b_node,b_switch,b_port,type,label\n"
    plan += "a000,,eth0,,leaf1,swp1,cat6,A0\nb000,,eth0,b001,,eth0,,\n"
    with racked.transaction() as session:
        cabling.import_file(session, "test", "plan.csv", "csv", plan)
    done = netbox_sync.sync(racked, netbox, "test", batch=3)
    assert {k: v for k, v in done.items() if k.startswith(("switches", "interfaces", "cables"))} == {
        "switches created": 1, "interfaces created": 4, "cables created": 2
    }  # fmt: skip
    leaf = device(netbox, name="leaf1")
    assert (leaf["role"]["slug"], leaf["site"]["name"], leaf["device_type"]["model"]) == (
        "switch",
        "dfw1",
        "switch",
    )

    def ends(cable: dict[str, Any]) -> frozenset[tuple[str, str]]:
        terms = cable["a_terminations"] + cable["b_terminations"]
        return frozenset((t["object"]["device"]["name"], t["object"]["name"]) for t in terms)

    read = {ends(c): (c["type"], c["label"], c["status"]["value"]) for c in netbox.list("dcim/cables")}
    assert read == {
        frozenset({("a000", "eth0"), ("leaf1", "swp1")}): ("cat6", "A0", "connected"),
        frozenset({("b000", "eth0"), ("b001", "eth0")}): (None, "", "connected"),
    }
    assert netbox_sync.sync(racked, netbox, "test") == {}
    with racked.transaction() as session:
        assert drift.report(session, netbox) == []
    (cable,) = netbox.list("dcim/interfaces", device="a000", name="eth0")
    netbox.http.delete(f"/dcim/cables/{cable['cable']['id']}/").raise_for_status()
    with racked.transaction() as session:
        found = drift.report(session, netbox)
        assert [(d.kind, d.object, d.key) for d in found] == [("missing_in_netbox", "cables", "a000:eth0")]
        assert found[0].detail.startswith("a000:eth0 ↔ leaf1:swp1: NetBox id ")
        pods = {p["pod"]: p for p in drift.completeness(session, drifted=frozenset({"a000:eth0"}))}
    assert (pods["p1"]["complete"], pods["p1"]["cabling"]) == (2, "0 of 1 planned nodes cabled")
    assert netbox_sync.sync(racked, netbox, "test") == {}  # a cable deleted in NetBox is drift, not re-made
