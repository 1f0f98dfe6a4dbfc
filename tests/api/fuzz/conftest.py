"""A token of every role over the two-tenant fleet: the fuzz and the side-channel checks ask as each."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fleetops.auth.choices import Role
from fleetops.db.session import Database
from fleetops.inventory.models import Node
from tests.factories import bearer, token

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
