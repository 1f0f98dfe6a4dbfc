"""Health API fixtures: the real app with the health router, the two-tenant fleet, tokens per role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.health.api import router
from fleetops.health.views import router as console_router
from fleetops.inventory.models import Node
from tests.factories import load, token, two_tenant_fleet


def make_app():
    app = create_app()
    paths = {getattr(route, "path", "") for route in app.routes}
    if "/api/v1/health/reports" not in paths:
        app.include_router(router)
    if "/health" not in paths:
        app.include_router(console_router)
    return app


@pytest.fixture
def client(database) -> TestClient:
    return TestClient(make_app())


@pytest.fixture
def fleet(database):
    load(database, two_tenant_fleet())
    return database


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def node_id(database, hostname: str) -> int:
    with database.transaction() as session:
        return session.scalar(select(Node.id).where(Node.hostname == hostname))


@pytest.fixture
def tokens(fleet) -> dict[str, dict[str, str]]:
    made = {role.value: bearer(token(fleet, role)) for role in (Role.ADMIN, Role.OPERATOR, Role.VIEWER)}
    made["initech"] = bearer(token(fleet, Role.CUSTOMER, customer_id=1))
    made["umbrella"] = bearer(token(fleet, Role.CUSTOMER, customer_id=2))
    made["acme"] = bearer(token(fleet, Role.SUPPLIER, supplier_id=1))
    made["a000"] = bearer(token(fleet, Role.AGENT, node_id=node_id(fleet, "a000")))
    made["b000"] = bearer(token(fleet, Role.AGENT, node_id=node_id(fleet, "b000")))
    return made
