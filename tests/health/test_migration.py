"""Migration 0002 creates exactly the health tables the models declare (no drift on either backend)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import fleetops.health.models as health_models
from fleetops.db.base import Base

HEALTH_TABLES = {t.__tablename__ for t in map(health_models.__dict__.get, health_models.__all__)}


def _table_of(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return table.name
        if name in HEALTH_TABLES:
            return name
        if isinstance(part, str) and part in HEALTH_TABLES:
            return part
    return None


def test_health_tables_match_the_models(database):
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    ours = [d for d in diffs if _table_of(d) in HEALTH_TABLES]
    assert ours == []
    with database.engine.connect() as conn:
        names = set(conn.dialect.get_table_names(conn))
    assert names >= HEALTH_TABLES
