"""A token of every role over the two-tenant fleet, and a fleet with some life in it (reports, findings,
incidents, runs, a rollout): the fuzz and the side-channel checks ask as each role about each."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fleetops import clock
from fleetops.api.app import create_app
from fleetops.assets import orders
from fleetops.assets.choices import AssetKind, AssetState
from fleetops.assets.models import Asset
from fleetops.assets.schemas import OrderCreate
from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.db.session import Database
from fleetops.deploy import service as deploy
from fleetops.deploy.plan import PlanRequest
from fleetops.inventory.models import Node
from fleetops.remediation import service as remediation
from fleetops.security.access.models import AccessRequest
from fleetops.security.choices import Scanner
from fleetops.security.imports import Offered, import_file
from fleetops.security.incidents import service as security_incidents
from fleetops.security.incidents.choices import Priority
from fleetops.security.updates import service as emergency_updates
from fleetops.wire import FaultOwner
from tests.alerts.fleet import finding
from tests.alerts.harness import Timeline
from tests.deploy.fleet import racked_fleet
from tests.factories import bearer, load, token
from tests.health.reports import body, report, xid
from tests.security.scans import trivy

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
    remediation run on each tenant's cluster, a rollout (staff only), and the security and asset records
    (`security_and_assets`)."""
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
    security_and_assets(database, manual_clock)


def security_and_assets(database: Database, manual_clock: clock.ManualClock) -> None:
    """On each tenant's side: a scanner finding on its first node, an emergency update over its cluster
    and its first server as an asset; staff only: a security incident and an access request."""
    for host in ("a000", "b000"):
        scan = trivy(("CVE-2026-0001", "openssl", "CRITICAL"))
        import_file(database, SYSTEM, Offered(Scanner.TRIVY, f"{host}.json", scan, host))
    with database.transaction() as session:
        security_incidents.declare(session, SYSTEM, "A leaked deploy key", Priority.P1)
        session.add(
            AccessRequest(
                user="ann", system="teleport", access="admin", reason="debug", hours=1, requested_by="test"
            )
        )
        for cluster, site, host in (("alpha", "dfw1", "a000"), ("beta", "aus1", "b000")):
            emergency_updates.plan(session, SYSTEM, f"u-{cluster}", cluster, "CVE-2026-0001", 50)
            order = orders.create(
                session,
                "test",
                OrderCreate(
                    number=f"PO-{cluster}",
                    vendor="dell",
                    item="XE9680",
                    quantity=1,
                    unit_price=1.0,
                    ordered_at=manual_clock.now(),
                    site=site,
                    cluster=cluster,
                ),
            )
            node = session.scalar(select(Node).where(Node.hostname == host))
            assert node is not None
            session.add(
                Asset(
                    serial=f"SN-{host}",
                    kind=AssetKind.SERVER,
                    model="XE9680",
                    state=AssetState.DEPLOYED,
                    po_id=order.id,
                    site_id=order.site_id,
                    node_id=node.id,
                )
            )
