"""Engine and session factory: SQLite in WAL mode by default, PostgreSQL through psycopg 3."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("fleetops.db")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def sqlite_write_lock(connection: Connection) -> None:
    """Hold SQLite's write lock from here to the end of the transaction (`BEGIN IMMEDIATE`), for work that
    reads state and writes what follows from it. Python's sqlite3 opens a transaction only at the first
    write, so reads before it run outside, and another writer could commit in between. A transaction
    that has written already holds the lock."""
    if not getattr(connection.connection.dbapi_connection, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# A long job's turn off SQLite's write lock between its bounded transactions. SQLite's busy handler has a
# waiting writer poll with growing sleeps, so a job that begins again at once can keep the lock for
# seconds while agent report POSTs wait (bench/bench_silence.py: 17 of 800 POSTs over 1 s before).
WRITER_TURN_S = 0.05


class Database:
    """One engine and its session factory; `transaction()` is the unit of work every service runs in."""

    def __init__(self, url: str, slow_transaction_s: float | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.slow_transaction_s = slow_transaction_s

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def give_way(self) -> None:
        """Between the bounded transactions of a long job: let the writers waiting for the lock in."""
        if self.is_sqlite:
            time.sleep(WRITER_TURN_S)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back everything on any exception: nothing is ever half-written."""
        if self.slow_transaction_s is None:
            with self.sessions() as session, session.begin():
                yield session
            return
        started = time.perf_counter()
        try:
            with self.sessions() as session, session.begin():
                yield session
        finally:
            self._report_slow(time.perf_counter() - started)

    def _report_slow(self, seconds: float) -> None:
        if seconds > self.slow_transaction_s:  # type: ignore[operator]
            # Two frames up: past contextlib's __exit__ to the function whose `with` opened the transaction.
            frame = sys._getframe(3)
            opener = f"{frame.f_globals['__name__']}.{frame.f_code.co_name}"
            log.warning("slow transaction", extra={"seconds": round(seconds, 3), "opened_by": opener})

    def dispose(self) -> None:
        self.engine.dispose()


_database: Database | None = None


def get_database() -> Database:
    global _database
    if _database is None:
        from fleetops.config import settings

        configured = settings()
        slow_ms = configured.slow_transaction_ms
        _database = Database(
            configured.database_url.get_secret_value(), None if slow_ms is None else slow_ms / 1000
        )
    return _database


def use_database(database: Database | None) -> Database | None:
    global _database
    previous, _database = _database, database
    return previous
