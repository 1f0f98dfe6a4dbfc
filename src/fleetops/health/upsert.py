"""One set-based "insert or update" for SQLite and PostgreSQL, so hot paths write a batch in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


@lru_cache(maxsize=64)
def _statement(dialect: str, table: Table, columns: tuple[str, ...], keys: tuple[str, ...]) -> Any:
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    stmt = insert(table)
    updated = [name for name in columns if name not in keys]
    return stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in updated})


def upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert `rows`, updating every non-key column of rows whose `keys` already exist (executemany)."""
    if not rows:
        return
    connection = session.connection()
    stmt = _statement(connection.dialect.name, table, tuple(rows[0]), tuple(keys))
    connection.execute(stmt, list(rows))
