"""Liveness and readiness probes for load balancers and orchestrators: unauthenticated by design, since a
probe carries no token, and they reveal nothing but whether this process can serve.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError

from fleetops.api import problems
from fleetops.db.migrate import alembic_config
from fleetops.db.session import Database, get_database

# Out of the OpenAPI reference, like /metrics: it lists the API, whose every operation takes a token.
router = APIRouter(tags=["probes"], include_in_schema=False)
UPGRADE = "run `fleetops db upgrade`"


@cache
def _scripts() -> ScriptDirectory:
    """The migrations shipped with this code; read once, they cannot change under a running process."""
    return ScriptDirectory.from_config(alembic_config(Database("sqlite://")))


def expected_revision() -> str | None:
    return _scripts().get_current_head()


def _database_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def readiness(database: Database) -> str | None:
    """Why this process cannot serve requests yet, or None: the database answers and has the schema the
    code was written for (a half-upgraded fleet would otherwise fail on every request that touches a new
    column, far from the cause)."""
    expected = expected_revision()
    try:
        found = _database_revision(database)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"database unreachable: {type(exc).__name__}: {reason}"
    if found == expected:
        return None
    if found is None:
        return f"database has no fleetops schema, code expects {expected}: {UPGRADE}"
    if found in {script.revision for script in _scripts().walk_revisions()}:
        return f"database at {found}, code expects {expected}: {UPGRADE}"
    return (
        f"database at {found}, newer than this code (it expects {expected}): deploy the code that has {found}"
    )


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Async on purpose: it answers from the event loop, so a loop blocked by a request fails it."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz() -> Any:
    why = readiness(get_database())
    if why is None:
        return {"status": "ready", "schema": expected_revision()}
    return problems.problem(503, "Not ready", why, "not_ready", "/readyz", retryable=True)
