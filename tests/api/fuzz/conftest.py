"""A token of every role over the two-tenant fleet, and a fleet with some life in it (reports, findings,
incidents, runs, a rollout): the fuzz and the side-channel checks ask as each role about each."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fleetops import clock
from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.db.session import Database
from fleetops.deploy import service as deploy
from fleetops.deploy.plan import PlanRequest
from fleetops.inventory.models import Node
from fleetops.remediation import service as remediation
from fleetops.wire import FaultOwner
from tests.alerts.fleet import finding
from tests.alerts.harness import Timeline
from tests.deploy.fleet import racked_fleet
from tests.factories import bearer, load, token
from tests.health.reports import body, report, xid

# Tenant roles are bound to tenant 1 (customer initech, supplier acme, node a000); tenant 2 is the other.
BINDINGS: dict[Role, dict[str, int]] = {Role.CUSTOMER: {"customer_id": 1}, Role.SUPPLIER: {"supplier_id": 1}}


def node_id(database: Database, hostname: str) -> int:
    with database.transaction() as session:
        found = session.scalar(select(Node.id).where(Node.hostname == hostname))
    assert found is not None, hostname
    return found


@pytest.fixture
def role_headers(fleet: Database) -> dict[str, dict[str, str]]:
    """Headers per role, every role of auth.choices.Role."""
    made = {}
    for role in Role:
        binding = {"node_id": node_id(fleet, "a000")} if role is Role.AGENT else BINDINGS.get(role, {})
        made[role.value] = bearer(token(fleet, role, **binding))
    return made


def populate(database: Database, manual_clock: clock.ManualClock) -> None:
    """Agent reports (an XID 79 on a000, one refused for an unknown host), an incident, an alert and a
    remediation run on each tenant's cluster, and a rollout (staff only)."""
    admin = bearer(token(database, Role.ADMIN)) | {"Content-Type": "application/json"}
    reports = body(report("a000", xids=[xid(79)]), report("zz999"))
    TestClient(create_app()).post("/api/v1/health/reports", content=reports, headers=admin)
    now = manual_clock.now()
    found = [finding(h, "xid", FaultOwner.HARDWARE, now, gpu=3, xid=79) for h in ("a001", "b001")]
    Timeline(database, manual_clock).push(found)
    load(database, racked_fleet(nodes=2, racks=1))
    with database.transaction() as session:
        remediation.receive_findings(session, found)
        request = PlanRequest("r1", "gamma", "ubuntu-22.04-gpu", "k8s-cis", pod="sp1")
        deploy.plan(session, SYSTEM, request)
