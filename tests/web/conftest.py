"""Console tests sign in with the same cookie a browser gets at /login."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def sign_in(client: TestClient, headers: dict[str, str]) -> TestClient:
    client.cookies.set("fleetops_token", headers["Authorization"].removeprefix("Bearer "))
    return client


@pytest.fixture
def as_role(client, tokens):
    """`as_role("initech")` → the test client signed in with that role's token."""
    return lambda name: sign_in(client, tokens[name])
