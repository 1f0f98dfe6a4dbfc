"""Console tests sign in with the same cookie a browser gets at /login."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from fleetops.metrics_proxy import upstream


def sign_in(client: TestClient, headers: dict[str, str]) -> TestClient:
    client.cookies.set("fleetops_token", headers["Authorization"].removeprefix("Bearer "))
    return client


@pytest.fixture
def as_role(client, tokens):
    """`as_role("initech")` → the test client signed in with that role's token."""
    return lambda name: sign_in(client, tokens[name])


@pytest.fixture(autouse=True)
def prometheus() -> Iterator[upstream.FakePrometheus]:
    """The node page asks the fleet's Prometheus for telemetry: a fake one here (the real one is tested
    in tests/integration/test_console_telemetry.py)."""
    fake = upstream.FakePrometheus()
    previous = upstream.use(fake)
    yield fake
    upstream.use(previous)
