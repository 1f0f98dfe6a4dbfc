"""The fixture tailnet (policy, Teleport roles, directory) and tokens of distinct people per role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.auth.service import create_token
from fleetops.db.session import Database
from fleetops.security.access.service import Files, Source
from tests.factories import bearer

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = {"tailnet": "tailnet.hujson", "teleport_roles": "teleport_roles.yaml", "users": "users.csv"}


def texts(**replaced: str) -> dict[str, str]:
    """The fixture files' texts, with any of them replaced."""
    return {key: replaced.get(key, (FIXTURES / name).read_text()) for key, name in NAMES.items()}


def files(**replaced: str) -> Files:
    found = texts(**replaced)
    return Files(*(Source(NAMES[key], found[key]) for key in NAMES))


def body(**replaced: str) -> dict[str, Any]:
    return {key: {"name": NAMES[key], "text": text} for key, text in texts(**replaced).items()}


def person(role: Role, name: str) -> Principal:
    return Principal(role=role, name=name)


@pytest.fixture
def people(database: Database) -> dict[str, dict[str, str]]:
    """Bearer headers of distinct people: two of security, an operator, a viewer, a customer."""
    made = {}
    with database.transaction() as session:
        for name, role in (
            ("sam", Role.SECURITY),
            ("tess", Role.SECURITY),
            ("otto", Role.OPERATOR),
            ("vera", Role.VIEWER),
            ("admin", Role.ADMIN),
        ):
            made[name] = bearer(create_token(session, "test", name=name, role=role).token)
    return made
