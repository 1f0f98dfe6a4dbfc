"""Many rows in one statement whose SQL text does not grow with the number of rows.

SQLAlchemy sends an executemany INSERT to PostgreSQL as one multi-row VALUES statement with a placeholder
per value: 64 health reports are 640 placeholders. psycopg caches the parsing of statements under 4 KB
only, so it re-parses such a statement on every call (about a quarter of the CPU of storing a report
batch), binds 640 parameters one by one, and PostgreSQL plans the statement anew. Here PostgreSQL gets the
rows as one JSON document, `INSERT ... SELECT ... FROM json_populate_recordset(NULL::table, $1)`: one
parameter encoded in C, the same text for one row or a thousand, prepared by psycopg after a few uses.
Measured on 64 report rows: 6-9 µs of client CPU a row instead of 70-98 (one array per column, `unnest`,
was 35). A list of keys is matched with `= ANY(array)` instead of `IN (...)` for the same reason (`Among`).

SQLite runs in-process and has no planning to save: it keeps the executemany and `IN`. For many rows of
few columns (a 100,000-node import: 800,000 GPUs) `insert_rows` takes tuples and sends them to the DB-API's
executemany with no per-row work in SQLAlchemy: each column converted by its type's bind processor a
column at a time, only where the type has one, and values shared by every row (a time stamp, an actor)
converted once. SQLAlchemy's own executemany built and processed a parameter dict per row: 60 % of the
time of writing those rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    CursorResult,
    DateTime,
    Result,
    Select,
    Table,
    bindparam,
    func,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from fleetops.db.base import NAIVE, UTCDateTime

_encode = msgspec.json.Encoder().encode


CHUNK = 10_000  # keys per IN list: under SQLite's 32,766 variables and PostgreSQL's 65,535 parameters


def chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """`values` in lists short enough for one statement's parameters on either database."""
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class Among:
    """`query` narrowed to rows whose `column` is one of a list, built once per dialect and list shape.

    One value is matched with `=`, several with `= ANY(array)` on PostgreSQL and `IN` on SQLite. The
    single case matters: PostgreSQL's generic plan for `= ANY($1)` assumes a list of ten, so it plans that
    statement afresh on every call (240 µs of server time for the inventory read), `=` only once."""

    def __init__(self, query: Select[Any], column: Column[Any] | ColumnElement[Any]) -> None:
        self.query, self.column = query, column
        self._built: dict[tuple[str, bool], Select[Any]] = {}

    def execute(self, connection: Connection, values: Collection[Any]) -> Result[Any]:
        listed, dialect = list(values), connection.dialect.name
        single = len(listed) == 1
        stmt = self._built.get((dialect, single))
        if stmt is None:
            stmt = self._built[dialect, single] = self.query.where(self._among(dialect, single))
        return connection.execute(stmt, {"among": listed[0] if single else listed})

    def _among(self, dialect: str, single: bool) -> ColumnElement[bool]:
        if single:
            return self.column == bindparam("among")
        if dialect == "postgresql":
            return self.column == func.any(bindparam("among", type_=ARRAY(self.column.type)))
        return self.column.in_(bindparam("among", expanding=True))


class Each(Among):
    """`query` narrowed to rows whose `column` is one of a list, probed once per value on PostgreSQL:
    `unnest` the list and join each value LATERAL to `query` with `column = value`.

    For a column that is not an index's first (findings by asset under (kind, asset, scanner, ...)), the
    planner uses `= ANY(array)` as an index condition only when the statistics say it narrows: on a table
    filled since its last ANALYZE (a first import of a fleet's scans) it scans every row of the leading
    columns instead and filters them, once per statement, so a 1,000-report import read 150,000 rows a
    batch (42 ms for 32 assets at 400 hosts, growing with the table). An equality per value is an index
    probe whatever the statistics say (3 ms). SQLite plans `IN` as probes already."""

    def execute(self, connection: Connection, values: Collection[Any]) -> Result[Any]:
        listed = list(values)
        if connection.dialect.name != "postgresql" or len(listed) == 1:
            return super().execute(connection, listed)
        stmt = self._built.get(("lateral", False))
        if stmt is None:
            stmt = self._built["lateral", False] = self._lateral()
        return connection.execute(stmt, {"among": listed})

    def _lateral(self) -> Select[Any]:
        listed = (
            func.unnest(bindparam("among", type_=ARRAY(self.column.type)))
            .table_valued("value")
            .render_derived()
        )
        # OFFSET 0 keeps the subquery whole: flattened into a plain join, it is planned the other way round.
        each = self.query.where(self.column == listed.c.value).offset(0).lateral("each")
        return select(*each.c).select_from(listed).join(each, true())


def insert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str] = (),
    update: bool = False,
    returning: str | None = None,
) -> CursorResult[Any] | None:
    """Insert `rows` (all with the same columns). With `keys`, a row whose keys exist already is skipped,
    or with `update` has its other columns overwritten; `returning` names a column to read back from the
    rows written. None when there are no rows."""
    if not rows:
        return None
    columns = tuple(rows[0])
    if connection.dialect.name != "postgresql":
        return connection.execute(_sqlite(table, columns, tuple(keys), update, returning), list(rows))
    sql, times = _postgresql(table, columns, tuple(keys), update, returning)
    _check_aware(table, times, rows)
    return connection.execute(sql, {"rows": _encode(rows).decode()})


def insert_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    same: Mapping[str, Any] | None = None,
) -> None:
    """Insert `rows`, tuples of `columns` in that order, each with the values of `same` as well."""
    if not rows:
        return
    same = dict(same or {})
    if connection.dialect.name == "postgresql":
        sql, times = _postgresql(table, tuple(columns), (), False, None, tuple(same))
        listed = [dict(zip(columns, row, strict=True)) for row in rows]
        _check_aware(table, times, [*listed, same])
        given = {f"same_{name}": value for name, value in same.items()}
        connection.execute(sql, {"rows": _encode(listed).decode(), **given})
        return
    sql, processors = _sqlite_rows(table, tuple(columns), tuple(same), connection.dialect)
    converted: Any = rows
    active = [(i, p) for i, p in enumerate(processors[: len(columns)]) if p is not None]
    if active:
        by_column = list(zip(*rows, strict=True))
        for i, process in active:
            by_column[i] = tuple(map(process, by_column[i]))
        converted = zip(*by_column, strict=True)
    shared = tuple(
        value if p is None else p(value)
        for value, p in zip(same.values(), processors[len(columns) :], strict=True)
    )
    params = [row + shared for row in converted] if shared else list(converted)
    connection.exec_driver_sql(sql, params)


@lru_cache(maxsize=64)
def _sqlite_rows(
    table: Table, columns: tuple[str, ...], same: tuple[str, ...], dialect: Any
) -> tuple[str, list[Any]]:
    """The INSERT with `?` placeholders, and each column's bind processor (None where values pass as they
    are: text, integers, floats)."""
    quote = dialect.identifier_preparer.quote
    names = (*columns, *same)
    listed, marks = ", ".join(map(quote, names)), ", ".join("?" * len(names))
    sql = f"INSERT INTO {quote(table.name)} ({listed}) VALUES ({marks})"
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    return sql, processors


def _check_aware(table: Table, times: tuple[str, ...], rows: Sequence[dict[str, Any]]) -> None:
    """JSON bypasses the column types, and with them UTCDateTime's refusal of naive times."""
    for row in rows:
        for name in times:
            value = row.get(name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{table.name}.{name}: {NAIVE}")


def upsert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert `rows`, updating every non-key column of rows whose `keys` already exist."""
    insert(connection, table, rows, keys=keys, update=True)


@lru_cache(maxsize=64)
def _sqlite(
    table: Table, columns: tuple[str, ...], keys: tuple[str, ...], update: bool, returning: str | None
) -> Any:
    stmt = sqlite.insert(table)
    if keys and update:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns if c not in keys}
        )
    elif keys:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    return stmt if returning is None else stmt.returning(table.c[returning])


@lru_cache(maxsize=64)
def _postgresql(
    table: Table,
    columns: tuple[str, ...],
    keys: tuple[str, ...],
    update: bool,
    returning: str | None,
    same: tuple[str, ...] = (),
) -> tuple[Any, tuple[str, ...]]:
    """The statement, and which columns hold times (checked for a timezone before encoding). Columns in
    `same` are parameters of their own (`same_<column>`), one value for every row."""
    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    name, listed = quote(table.name), ", ".join(quote(c) for c in columns)
    shared = [f", CAST(:same_{c} AS {table.c[c].type.compile(dialect=dialect)})" for c in same]
    into = ", ".join(quote(c) for c in (*columns, *same))
    sql = (
        f"INSERT INTO {name} ({into}) SELECT {listed}{''.join(shared)} "
        f"FROM json_populate_recordset(NULL::{name}, :rows)"
    )
    updated = [c for c in columns if c not in keys]
    if keys and update and updated:
        changes = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in updated)
        sql += f" ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {changes}"
    elif keys:
        sql += f" ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO NOTHING"
    if returning is not None:
        sql += f" RETURNING {quote(returning)}"
    times = tuple(c for c in (*columns, *same) if isinstance(table.c[c].type, UTCDateTime | DateTime))
    stmt = text(sql).bindparams(*(bindparam(f"same_{c}", type_=table.c[c].type) for c in same))
    return stmt, times
