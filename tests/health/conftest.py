"""Health API fixtures: agent tokens bound to nodes, on top of the shared client, fleet and role tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fleetops.auth.choices import Role
from fleetops.inventory.models import Node
from tests.factories import bearer, token


def node_id(database, hostname: str) -> int:
    with database.transaction() as session:
        return session.scalar(select(Node.id).where(Node.hostname == hostname))


@pytest.fixture
def tokens(tokens, fleet) -> dict[str, dict[str, str]]:
    """The shared role tokens, plus agent tokens bound to nodes a000 (tenant 1) and b000 (tenant 2)."""
    made = dict(tokens)
    made["a000"] = bearer(token(fleet, Role.AGENT, node_id=node_id(fleet, "a000")))
    made["b000"] = bearer(token(fleet, Role.AGENT, node_id=node_id(fleet, "b000")))
    return made
