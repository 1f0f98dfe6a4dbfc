"""Shared fixtures: a migrated database on SQLite, and on PostgreSQL when `make test` started one.

Storage and API tests take the `database` fixture and so run on both backends. Tables are emptied
after each test, so tests never see each other's rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fleetops import clock
from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.db.base import Base
from fleetops.db.migrate import upgrade
from fleetops.db.session import Database, use_database
from tests.factories import bearer, load, token, two_tenant_fleet

POSTGRES_URL = os.environ.get("FLEETOPS_TEST_POSTGRES_URL")
SHARED = Path(__file__).resolve().parents[2] / "shared"


def _fresh_postgres(url: str) -> Database:
    """A database of this xdist worker's own, so parallel workers never truncate each other's rows."""
    name = f"fleetops_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    database = Database(make_url(url).set(database=name).render_as_string(hide_password=False))
    with database.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return database


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Database]]:
    made = {"sqlite": Database(f"sqlite:///{tmp_path_factory.mktemp('db') / 'fleetops.db'}")}
    if POSTGRES_URL:
        made["postgresql"] = _fresh_postgres(POSTGRES_URL)
    for database in made.values():
        upgrade(database)
    yield made
    for database in made.values():
        database.dispose()


def _empty(database: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as conn:
        if database.is_sqlite:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


def _use(database: Database) -> Iterator[Database]:
    previous = use_database(database)
    try:
        yield database
    finally:
        use_database(previous)
        _empty(database)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, _databases: dict[str, Database]) -> Iterator[Database]:
    """A migrated, empty database on each backend; PostgreSQL is skipped only outside `make test`."""
    if request.param not in _databases:
        pytest.skip("PostgreSQL not started: run the suite through `make test` (FLEETOPS_TEST_POSTGRES_URL)")
    yield from _use(_databases[request.param])


@pytest.fixture
def sqlite_database(_databases: dict[str, Database]) -> Iterator[Database]:
    """SQLite only, for tests about logic rather than storage."""
    yield from _use(_databases["sqlite"])


@pytest.fixture
def fleet(database: Database) -> Database:
    """The two-tenant fleet (tests/factories.py) on each backend."""
    load(database, two_tenant_fleet())
    return database


@pytest.fixture
def client(database: Database) -> TestClient:
    """The real app over the `database` fixture's backend."""
    return TestClient(create_app())


@pytest.fixture
def tokens(fleet: Database) -> dict[str, dict[str, str]]:
    """Headers per role; `initech`/`acme` are tenant 1 (cluster alpha), `umbrella`/`globex` tenant 2."""
    made = {role.value: bearer(token(fleet, role)) for role in (Role.ADMIN, Role.OPERATOR, Role.VIEWER)}
    made["initech"] = bearer(token(fleet, Role.CUSTOMER, customer_id=1))
    made["umbrella"] = bearer(token(fleet, Role.CUSTOMER, customer_id=2))
    made["acme"] = bearer(token(fleet, Role.SUPPLIER, supplier_id=1))
    made["globex"] = bearer(token(fleet, Role.SUPPLIER, supplier_id=2))
    return made


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    fake = clock.ManualClock()
    previous = clock.use(fake)
    yield fake
    clock.use(previous)


@pytest.fixture
def gpu_fixtures() -> Path:
    path = SHARED / "fixtures" / "gpu" / "h100-sxm5"
    if not path.is_dir():
        pytest.skip(f"real GPU captures not found at {path}")
    return path
