"""UTCDateTime: aware UTC in and out on both backends (SQLite keeps no offset), naive times refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.exc import StatementError

from fleetops.db.base import UTCDateTime

TIMES = [
    datetime(2026, 6, 1, tzinfo=UTC),
    datetime(2026, 6, 1, 1, 2, 3, 4567, tzinfo=UTC),
    datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=2))),  # stored as 10:00 UTC
]


@pytest.fixture
def stamps(database):
    columns = [Column("id", Integer, primary_key=True), Column("at", UTCDateTime)]
    table = Table("type_probe", MetaData(), *columns)
    table.create(database.engine)
    yield database, table
    table.drop(database.engine)


def test_times_come_back_aware_utc_and_the_same_instant(stamps) -> None:
    database, table = stamps
    with database.engine.begin() as conn:
        conn.execute(insert(table), [{"id": i, "at": at} for i, at in enumerate(TIMES)])
        back = conn.execute(select(table.c.at).order_by(table.c.id)).scalars().all()
    assert back == TIMES and all(at.tzinfo is UTC for at in back)


def test_naive_times_are_refused_on_both_backends(stamps) -> None:
    database, table = stamps
    with pytest.raises(StatementError, match="naive datetime"), database.engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "at": datetime(2026, 6, 1)}])
