"""The cabling plan against the fake NetBox: the sync creates the switch, the interfaces and the cables in
its batches and a second sync writes nothing; a cable NetBox holds is adopted, a port cabled elsewhere left
alone; the drift report finds cables missing on either side and ends that differ, and completeness counts
a node complete only when its planned cables are in NetBox."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from fleetops.adapters.netbox.fake import FakeNetbox
from fleetops.assets import drift, netbox_cables, netbox_service, netbox_sync
from fleetops.assets.models import Shipment
from fleetops.audit.models import AuditEvent
from fleetops.db.session import Database
from fleetops.errors import InvalidInput
from tests.assets.test_cabling import PLAN_CSV, imported
from tests.assets.test_netbox import client


def ends(fake: FakeNetbox, cable: dict) -> set[tuple[str, str]]:
    found = set()
    for t in cable["a_terminations"] + cable["b_terminations"]:
        port = fake.objects["dcim/interfaces"][t["object_id"]]
        found.add((fake.objects["dcim/devices"][port["device"]]["name"], port["name"]))
    return found


def on(port: dict) -> list[dict]:
    """A cable's side ending on this interface, as NetBox takes it."""
    return [{"object_type": "dcim.interface", "object_id": port["id"]}]


def synced(fleet: Database) -> FakeNetbox:
    fake = FakeNetbox()
    imported(fleet, PLAN_CSV)
    done = netbox_sync.sync(fleet, client(fake), "test", batch=4)
    assert {k: v for k, v in done.items() if k.startswith(("switches", "interfaces", "cables"))} == {
        "switches created": 1,
        "interfaces created": 6,
        "cables created": 3,
    }
    return fake


def test_the_sync_pushes_switch_interfaces_and_cables_and_a_second_writes_nothing(fleet: Database) -> None:
    fake = synced(fleet)
    leaf = fake.find("dcim/devices", name="leaf1")
    role = fake.objects["dcim/device-roles"][leaf["role"]]
    assert role["slug"] == "switch" and leaf["site"] == fake.find("dcim/sites", name="dfw1")["id"]
    assert fake.objects["dcim/device-types"][leaf["device_type"]]["model"] == "switch"
    made = {frozenset(ends(fake, c)): c.get("type") for c in fake.objects["dcim/cables"].values()}
    assert made == {
        frozenset({("a000", "eth0"), ("leaf1", "swp1")}): "cat6",
        frozenset({("a001", "eth0"), ("leaf1", "swp2")}): None,
        frozenset({("b000", "eth0"), ("b001", "eth0")}): "dac-passive",
    }
    writes = fake.writes
    assert netbox_sync.sync(fleet, client(fake), "test", batch=4) == {}
    assert fake.writes == writes
    with fleet.transaction() as session:
        audited = session.scalars(
            select(AuditEvent.target_key).where(AuditEvent.action == "netbox.created")
        ).all()
        assert audited.count("dcim/cables") == 1 and audited.count("dcim/interfaces") == 2  # batches of 4
        assert drift.report(session, client(fake)) == []


def test_a_cable_netbox_holds_is_adopted_and_a_port_cabled_elsewhere_left(fleet: Database) -> None:
    fake = FakeNetbox()
    netbox_sync.sync(fleet, client(fake), "test")  # the devices first, no plan yet
    nb = client(fake)
    by_hand = [("a002", "eth0"), ("b002", "eth0"), ("a000", "eth7"), ("b000", "eth7")]
    ports = nb.bulk_create(
        "dcim/interfaces",
        [{"device": fake.find("dcim/devices", name=d)["id"], "name": n, "type": "other"} for d, n in by_hand],
    )
    term = [on(port) for port in ports]
    _, elsewhere = nb.bulk_create(
        "dcim/cables",
        [
            {"a_terminations": term[0], "b_terminations": term[1]},
            {"a_terminations": term[2], "b_terminations": term[3]},
        ],
    )
    imported(
        fleet, "a_node,a_port,b_node,b_port\na002,eth0,b002,eth0\nb002,eth1,a001,eth3\na000,eth7,b001,eth7\n"
    )
    assert netbox_sync.sync(fleet, client(fake), "test") == {
        "interfaces created": 3,
        "cables adopted": 1,
        "cables created": 1,
        "cables left": 1,
    }
    assert len(fake.objects["dcim/cables"]) == 3
    with fleet.transaction() as session:
        found = {(d.kind, d.key): d.detail for d in drift.report(session, nb)}
    assert found == {
        ("cabling", "a000:eth7"): "fleetops a000:eth7 ↔ b001:eth7, "
        f"NetBox a000:eth7 ↔ b000:eth7 (NetBox id {elsewhere['id']})"
    }
    assert netbox_sync.sync(fleet, client(fake), "test") == {"cables left": 1}


def test_drift_names_cables_missing_either_side_and_ends_that_differ(fleet: Database) -> None:
    fake = synced(fleet)
    nb = client(fake)
    gone = next(c for c in fake.objects["dcim/cables"].values() if ("a000", "eth0") in ends(fake, c))
    del fake.objects["dcim/cables"][gone["id"]]  # deleted in NetBox
    moved = next(c for c in fake.objects["dcim/cables"].values() if ("b000", "eth0") in ends(fake, c))
    b002 = fake.find("dcim/devices", name="b002")["id"]
    (spare,) = nb.bulk_create("dcim/interfaces", [{"device": b002, "name": "eth5", "type": "other"}])
    moved["b_terminations"] = on(spare)  # recabled
    (extra,) = nb.bulk_create("dcim/interfaces", [{"device": b002, "name": "eth6", "type": "other"}])
    leaf = fake.find("dcim/devices", name="leaf1")["id"]
    (port,) = nb.bulk_create("dcim/interfaces", [{"device": leaf, "name": "swp9", "type": "other"}])
    nb.bulk_create("dcim/cables", [{"a_terminations": on(extra), "b_terminations": on(port)}])
    with fleet.transaction() as session:
        found = [d for d in drift.report(session, nb) if d.object == "cables"]
        assert {(d.kind, d.key) for d in found} == {
            ("missing_in_netbox", "a000:eth0"),
            ("cabling", "b000:eth0"),
            ("missing_in_fleetops", "b002:eth6 ↔ leaf1:swp9"),
        }
        said = {d.kind: d.detail for d in found}
        assert said["missing_in_netbox"] == f"a000:eth0 ↔ leaf1:swp1: NetBox id {gone['id']} is gone"
        assert (
            said["cabling"]
            == f"fleetops b000:eth0 ↔ b001:eth0, NetBox b000:eth0 ↔ b002:eth5 (NetBox id {moved['id']})"
        )
        pods = {p["pod"]: p for p in drift.completeness(session)}
        assert (pods["p1"]["complete"], pods["p1"]["cabling"]) == (
            3,
            "2 of 2 planned nodes cabled",
        )  # not read
        miscabled = frozenset(d.key for d in found if d.kind != "missing_in_fleetops")
        pods = {p["pod"]: p for p in drift.completeness(session, drifted=miscabled)}
    assert (pods["p1"]["nodes"], pods["p1"]["complete"], pods["p1"]["cabling"]) == (
        3,
        2,
        "1 of 2 planned nodes cabled",
    )
    assert (pods["p9"]["complete"], pods["p9"]["cabling"]) == (1, "0 of 2 planned nodes cabled")


def test_the_drift_report_counts_a_miscabled_node_incomplete(
    fleet: Database, fake_netbox: FakeNetbox
) -> None:
    imported(fleet, PLAN_CSV)
    netbox_service.sync(fleet, "test")
    with fleet.transaction() as session:
        assert {p["pod"]: p["complete"] for p in netbox_service.drift_report(session)["completeness"]} == {
            "p1": 3,
            "p9": 3,
        }
    cable = next(
        c for c in fake_netbox.objects["dcim/cables"].values() if ("b000", "eth0") in ends(fake_netbox, c)
    )
    del fake_netbox.objects["dcim/cables"][cable["id"]]
    with fleet.transaction() as session:
        report = netbox_service.drift_report(session)
    assert report["counts"] == {"missing_in_netbox": 1}
    assert {p["pod"]: p["complete"] for p in report["completeness"]} == {"p1": 3, "p9": 1}


def test_a_cable_whose_node_is_not_in_netbox_yet_waits_for_the_next_sync(fleet: Database) -> None:
    fake = FakeNetbox()
    imported(fleet, PLAN_CSV)
    assert netbox_cables.push(fleet, client(fake), "test", batch=10, concurrency=1) == {"cables waiting": 3}
    assert fake.writes == 0 and not fake.objects["dcim/cables"]
    assert netbox_sync.sync(fleet, client(fake), "test")["cables created"] == 3  # devices first, then cables


def test_cables_netbox_refuses_do_not_hold_back_the_asn_timer(shipped: Database) -> None:
    fake = FakeNetbox()
    original = fake.handle_request

    def refusing(request: httpx.Request) -> httpx.Response:  # a cable type NetBox does not know
        if request.method == "POST" and request.url.path.endswith("/dcim/cables/"):
            return httpx.Response(400, json={"type": ['"fibre" is not a valid choice.']})
        return original(request)

    fake.handle_request = refusing  # type: ignore[method-assign]
    imported(shipped, PLAN_CSV)
    with pytest.raises(InvalidInput, match="dcim/cables"):
        netbox_sync.sync(shipped, client(fake), "test")
    with shipped.transaction() as session:  # its servers are in NetBox: the 4 h timer stopped
        assert session.scalar(select(Shipment.netbox_at).where(Shipment.number == "ASN-1")) is not None
