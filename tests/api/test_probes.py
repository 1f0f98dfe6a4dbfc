"""`/healthz` and `/readyz` as a load balancer or kubelet calls them: no token, and on a not-ready
control plane a 503 whose detail tells the operator what to run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text

from fleetops.api.app import create_app
from fleetops.api.probes import _scripts, expected_revision
from fleetops.db.migrate import MIGRATIONS, alembic_config
from fleetops.db.session import Database, use_database
from tests.ports import free_port

PROBLEM = "application/problem+json"
HEAD = expected_revision()
PREVIOUS = _scripts().get_revision(HEAD).down_revision
UPGRADE = "run `fleetops db upgrade`"


@pytest.fixture
def stamped(database):
    """The test database with its recorded schema version changed, put back afterwards (the tables
    are emptied after each test, the version table is not)."""

    def stamp(revision: str) -> None:
        with database.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})

    yield stamp
    command.stamp(alembic_config(database), "head", purge=True)


def _elsewhere(url: str) -> Iterator[TestClient]:
    """The app with its database at `url` instead of the test one."""
    other = Database(url)
    previous = use_database(other)
    try:
        yield TestClient(create_app())
    finally:
        use_database(previous)
        other.dispose()


def test_both_answer_without_a_token_on_a_current_database(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "schema": HEAD})
    assert max(path.name.split("_")[0] for path in (MIGRATIONS / "versions").glob("0*.py")) == HEAD


def test_a_database_behind_the_code_names_both_versions_and_the_fix(client, stamped):
    stamped(PREVIOUS)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["content-type"] == PROBLEM
    assert ready.json()["detail"] == f"database at {PREVIOUS}, code expects {HEAD}: {UPGRADE}"
    assert ready.json()["code"] == "not_ready"
    assert client.get("/healthz").status_code == 200  # alive: restarting it would not help


def test_a_database_ahead_of_the_code_asks_for_the_newer_code(client, stamped):
    stamped("9999")
    detail = client.get("/readyz").json()["detail"]
    assert (
        detail == f"database at 9999, newer than this code (it expects {HEAD}): deploy the code that has 9999"
    )


def test_an_empty_database_asks_for_the_upgrade(tmp_path):
    for probe in _elsewhere(f"sqlite:///{tmp_path / 'empty.db'}"):
        ready = probe.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["detail"] == f"database has no fleetops schema, code expects {HEAD}: {UPGRADE}"


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable(request, tmp_path) -> str:
    if request.param == "sqlite":
        (tmp_path / "fleetops.db").mkdir()  # a folder where the database file should be
        return f"sqlite:///{tmp_path / 'fleetops.db'}"
    return f"postgresql+psycopg://fleetops@127.0.0.1:{free_port()}/fleetops?connect_timeout=2"


def test_an_unreachable_database_is_not_ready_yet_alive(unreachable):
    for probe in _elsewhere(unreachable):
        ready = probe.get("/readyz")
        assert ready.status_code == 503 and ready.headers["content-type"] == PROBLEM
        assert ready.json()["detail"].startswith("database unreachable: OperationalError: ")
        assert probe.get("/healthz").json() == {"status": "ok"}
