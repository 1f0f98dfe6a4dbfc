"""The incidents list: filters, grouping by cluster and supplier, the why in words, acknowledge and
resolve per row for writers, each tenant its own; and the audit page, staff only."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fleetops.alerts import models
from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.wire import FaultOwner
from tests.alerts.fleet import finding
from tests.alerts.harness import Timeline
from tests.factories import load, token, two_tenant_fleet


@pytest.fixture
def timeline(database, manual_clock) -> Timeline:
    load(database, two_tenant_fleet(nodes_per_cluster=4))
    made = Timeline(database, manual_clock)
    now = manual_clock.now()
    made.push([finding("a001", "xid", FaultOwner.HARDWARE, now, gpu=3, xid=79)])
    made.push([finding("b001", "oom", FaultOwner.CUSTOMER, now)])
    made.run_for(60)
    return made


def _console(timeline: Timeline, role: Role, **binding: int) -> TestClient:
    console = TestClient(create_app())
    console.cookies.set("fleetops_token", token(timeline.database, role, **binding))
    return console


def _shown(html: str) -> list[str]:
    return re.findall(r'<tr id="incident-(\d+)">', html)


def _ids(timeline: Timeline) -> dict[str, str]:
    with timeline.database.transaction() as session:
        rows = session.execute(select(models.Alert.labels["node"].as_string(), models.Alert.incident_id))
        return {node: str(incident) for node, incident in rows}


def test_filters_and_groups(timeline):
    ids, page = _ids(timeline), _console(timeline, Role.VIEWER)
    assert sorted(_shown(page.get("/incidents").text)) == sorted([ids["a001"], ids["b001"]])
    assert _shown(page.get("/incidents", params={"cluster": "alpha"}).text) == [ids["a001"]]
    assert _shown(page.get("/incidents", params={"supplier": "globex"}).text) == [ids["b001"]]
    assert _shown(page.get("/incidents", params={"priority": "P3"}).text) == [ids["b001"]]
    assert _shown(page.get("/incidents", params={"q": "a001"}).text) == [ids["a001"]]
    grouped = page.get("/incidents", params={"group": "supplier"}).text
    assert re.findall(r'<h2 class="group">Supplier (\w+)', grouped) == ["acme", "globex"]
    row = grouped.split(f'<tr id="incident-{ids["a001"]}">')[1].split("</tr>")[0]
    assert "Sent to " in row and "supplier-tickets" in row and "Acknowledge" not in row  # viewer: no writes


def test_acknowledge_and_resolve_from_the_list(timeline):
    ids, page = _ids(timeline), _console(timeline, Role.OPERATOR)
    listed = page.get("/incidents", params={"cluster": "alpha"}).text
    assert 'class="ack"' in listed and 'class="resolve"' in listed
    back = {"referer": "http://testserver/incidents?cluster=alpha"}
    done = page.post(f"/incidents/{ids['a001']}/acknowledge", headers=back, follow_redirects=False)
    assert done.headers["location"] == "/incidents?cluster=alpha"
    done = page.post(f"/incidents/{ids['a001']}/resolve", headers=back, follow_redirects=False)
    assert done.status_code == 303
    with timeline.database.transaction() as session:
        incident = session.get(models.Incident, int(ids["a001"]))
        assert incident.status == "resolved" and incident.acknowledged_at is not None
        events = session.scalars(
            select(models.IncidentEvent.reason).where(models.IncidentEvent.incident_id == incident.id)
        )
        assert "resolved by operator:" in " ".join(events)
    assert ids["a001"] not in _shown(page.get("/incidents").text)
    assert ids["a001"] in _shown(page.get("/incidents", params={"status": "resolved"}).text)
    assert page.post(f"/incidents/{ids['a001']}/resolve").status_code == 409  # already resolved


def test_each_tenant_sees_and_touches_only_its_own(timeline):
    ids = _ids(timeline)
    customer = _console(timeline, Role.CUSTOMER, customer_id=2)
    assert _shown(customer.get("/incidents").text) == [ids["b001"]]
    assert _shown(customer.get("/live/incidents").text) == [ids["b001"]]
    supplier = _console(timeline, Role.SUPPLIER, supplier_id=1)
    assert _shown(supplier.get("/incidents").text) == [ids["a001"]]
    assert supplier.post(f"/incidents/{ids['b001']}/resolve").status_code == 404
    assert customer.post(f"/incidents/{ids['b001']}/resolve").status_code == 403


def test_audit_page_is_for_staff_newest_first_and_filtered(timeline):
    operator = _console(timeline, Role.OPERATOR)
    operator.post("/nodes/a001/cordon")
    operator.post("/nodes/a002/drain")
    assert _console(timeline, Role.CUSTOMER, customer_id=1).get("/audit").status_code == 403
    assert _console(timeline, Role.SUPPLIER, supplier_id=1).get("/audit").status_code == 403
    viewer = _console(timeline, Role.VIEWER)
    targets = re.findall(r'<a href="/nodes/(\w+)">', viewer.get("/audit").text)
    assert targets[:2] == ["a002", "a001"]
    mine = viewer.get("/audit", params={"target_type": "node", "target_key": "a001"}).text
    assert set(re.findall(r'<a href="/nodes/(\w+)">', mine)) == {"a001"}
    assert "No entries." in viewer.get("/audit", params={"actor": "nobody"}).text
