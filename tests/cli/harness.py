"""The remote CLI against the real app in this process: requests go through the app's own routes, deps
and the test's database, without a port. `tests/cli/test_remote.py` runs the same CLI as a subprocess
against a real `fleetops serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import fleetops.cli.remote
from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.db.session import get_database
from tests.factories import token

SERVER = "http://fleetops.test"


class AppTransport(httpx.BaseTransport):
    """A transport that hands each request to the ASGI app (through Starlette's test client), with an
    admin token issued on the first request, in whichever database the test has set up by then."""

    def __init__(self) -> None:
        self.app = TestClient(create_app(), base_url=SERVER)
        self.token: str | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.token = self.token or token(get_database(), Role.ADMIN)
        headers = dict(request.headers) | {"authorization": f"Bearer {self.token}"}
        answer = self.app.request(request.method, str(request.url), headers=headers, content=request.read())
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


@pytest.fixture
def remote_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AppTransport]:
    """The CLI's commands talk to the app in this process, as an admin."""
    app = AppTransport()
    monkeypatch.setenv("FLEETOPS_URL", SERVER)
    monkeypatch.setenv("FLEETOPS_TOKEN", "fo_issued_on_first_request")
    monkeypatch.setenv("FLEETOPS_CLI_CONFIG", str(tmp_path / "no-cli.toml"))
    monkeypatch.setattr(fleetops.cli.remote, "transport", app)
    yield app
