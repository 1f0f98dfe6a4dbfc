"""The incidents API for tenants: a customer or supplier reads only its own clusters' incidents (404 for
the rest, decided in the query), and never which supplier hosts the capacity (customers), whose
capacity it is (suppliers), or the internal routing (receivers and the reason naming the routes)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fleetops.alerts import models
from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.wire import FaultOwner
from tests.alerts.fleet import finding
from tests.alerts.harness import Timeline
from tests.factories import bearer, load, token, two_tenant_fleet

INCIDENTS = "/api/v1/alerts/incidents"


@pytest.fixture
def timeline(database, manual_clock) -> Timeline:
    load(database, two_tenant_fleet(nodes_per_cluster=4))
    made = Timeline(database, manual_clock)
    now = made.clock.now()
    made.push([finding("a001", "xid", FaultOwner.HARDWARE, now, gpu=3, xid=79)])
    made.push([finding("b001", "oom", FaultOwner.APPLICATION, now)])
    return made


def _incidents(database) -> dict[str, int]:
    with database.transaction() as session:
        rows = session.scalars(select(models.Incident)).all()
        return {row.labels.get("cluster"): row.id for row in rows}


@pytest.mark.parametrize(
    ("role", "binding", "mine", "theirs", "hidden"),
    [
        (Role.CUSTOMER, {"customer_id": 1}, "alpha", "beta", {"supplier", "site", "pod", "rack"}),
        (Role.SUPPLIER, {"supplier_id": 2}, "beta", "alpha", {"customer"}),
    ],
)
def test_a_tenant_reads_its_own_incidents_redacted_and_nobody_elses(
    timeline, role, binding, mine, theirs, hidden
):
    api, homes = TestClient(create_app()), _incidents(timeline.database)
    staff = bearer(token(timeline.database, Role.VIEWER))
    full = api.get(f"{INCIDENTS}/{homes[mine]}", headers=staff).json()
    assert hidden & set(full["labels"]) and full["receivers"]  # staff see where it went
    headers = bearer(token(timeline.database, role, **binding))
    listed = api.get(INCIDENTS, headers=headers)
    assert listed.status_code == 200, listed.text
    assert [i["id"] for i in listed.json()] == [homes[mine]]
    one = api.get(f"{INCIDENTS}/{homes[mine]}", headers=headers).json()
    assert not hidden & set(one["labels"]) and one["receivers"] == [] and one["reason"] == ""
    assert one["labels"]["cluster"] == mine
    for value in (full["labels"].get(k) for k in hidden):
        assert value not in str(one)
    assert api.get(f"{INCIDENTS}/{homes[theirs]}", headers=headers).status_code == 404


def test_tenants_still_may_not_acknowledge_nor_read_the_fleet_measures(timeline):
    api, homes = TestClient(create_app()), _incidents(timeline.database)
    headers = bearer(token(timeline.database, Role.CUSTOMER, customer_id=1))
    assert api.post(f"{INCIDENTS}/{homes['alpha']}/acknowledge", headers=headers).status_code == 403
    assert api.get("/api/v1/alerts/measures", headers=headers).status_code == 403
    relay = bearer(token(timeline.database, Role.RELAY))
    assert api.get(INCIDENTS, headers=relay).status_code == 403
