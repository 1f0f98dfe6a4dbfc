"""An API client over the real app and database (both backends), with tokens for every role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from tests.factories import load, token, two_tenant_fleet


@pytest.fixture
def client(database) -> TestClient:
    return TestClient(create_app())


@pytest.fixture
def fleet(database):
    load(database, two_tenant_fleet())
    return database


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture
def tokens(fleet) -> dict[str, dict[str, str]]:
    """Headers per role; `initech`/`acme` are tenant 1 (cluster alpha), `umbrella`/`globex` tenant 2."""
    made = {role.value: bearer(token(fleet, role)) for role in (Role.ADMIN, Role.OPERATOR, Role.VIEWER)}
    made["initech"] = bearer(token(fleet, Role.CUSTOMER, customer_id=1))
    made["umbrella"] = bearer(token(fleet, Role.CUSTOMER, customer_id=2))
    made["acme"] = bearer(token(fleet, Role.SUPPLIER, supplier_id=1))
    made["globex"] = bearer(token(fleet, Role.SUPPLIER, supplier_id=2))
    return made
