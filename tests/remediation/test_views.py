"""The console page: runs, MTTR and automation for staff; a customer's settings form for its clusters only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.inventory.models import Cluster
from fleetops.remediation import service
from fleetops.remediation.views import router
from tests.factories import token

from .conftest import make_bed


@pytest.fixture
def console(fleet):
    app = create_app()
    app.include_router(router)
    return TestClient(app)


def _login(console, fleet, role, **binding):
    console.cookies.set("fleetops_token", token(fleet, role, **binding))


def test_staff_see_runs_mttr_and_automation(console, fleet, manual_clock):
    bed = make_bed(fleet, manual_clock)
    bed.finding("b001", xid=79)
    bed.play(20 * 60)
    _login(console, fleet, Role.OPERATOR)
    page = console.get("/remediation")
    assert page.status_code == 200
    assert 'id="mttr-hardware"' in page.text and "100.0%" in page.text and "b001" in page.text
    fragment = console.get("/remediation/runs")
    assert fragment.status_code == 200 and "b001" in fragment.text and "<html" not in fragment.text
    bed.engine.close()


def test_customer_turns_its_cluster_off_in_the_console_and_cannot_touch_others(console, fleet):
    with fleet.transaction() as session:
        ids = {c.name: c.id for c in session.scalars(select(Cluster))}
    _login(console, fleet, Role.CUSTOMER, customer_id=1)
    page = console.get("/remediation")
    assert f'id="settings-{ids["alpha"]}"' in page.text and f'id="settings-{ids["beta"]}"' not in page.text
    assert 'id="mttr-hardware"' not in page.text  # fleet-wide measures are for staff
    saved = console.post(
        f"/remediation/clusters/{ids['alpha']}/settings", data={"allowed": ["drain"]}, follow_redirects=False
    )
    assert saved.status_code == 303
    other = console.post(f"/remediation/clusters/{ids['beta']}/settings", data={}, follow_redirects=False)
    assert other.status_code == 404
    with fleet.transaction() as session:
        from fleetops.auth.principal import SYSTEM

        assert service.get_settings(session, SYSTEM, ids["alpha"]).enabled is False
        assert service.get_settings(session, SYSTEM, ids["beta"]).enabled is True
