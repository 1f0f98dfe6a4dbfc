"""Set-based statements of `db.bulk` on both backends: JSON rows on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fleetops.db import bulk
from fleetops.health.ingest import REPORTS
from fleetops.health.state import NODE_HEALTH
from fleetops.inventory.models import Node

AT = datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _report(report_id: str, node_id: int, at: datetime = AT) -> dict:
    return {
        "report_id": report_id,
        "node_id": node_id,
        "actor": "agent:test",
        "agent_version": "test",
        "collected_at": at,
        "received_at": at,
        "skew_s": 0.25,
        "clock_skewed": False,
        "gpu_count": 8,
        "finding_count": 0,
    }


def _node_ids(database) -> list[int]:
    with database.transaction() as session:
        return list(session.scalars(select(Node.id).order_by(Node.id)))


def test_insert_skips_existing_keys_and_returns_only_the_new_ones(fleet):
    first, second = _node_ids(fleet)[:2]
    with fleet.transaction() as session:
        new = bulk.insert(
            session.connection(), REPORTS, [_report("r1", first)], keys=["report_id"], returning="report_id"
        )
        assert list(new.scalars()) == ["r1"]
        rows = [_report("r1", first), _report("r2", second)]
        again = bulk.insert(session.connection(), REPORTS, rows, keys=["report_id"], returning="report_id")
        assert list(again.scalars()) == ["r2"]
        assert bulk.insert(session.connection(), REPORTS, []) is None
    with fleet.transaction() as session:
        stored = session.execute(select(REPORTS.c.report_id, REPORTS.c.collected_at, REPORTS.c.skew_s)).all()
    assert sorted(stored) == [("r1", AT, 0.25), ("r2", AT, 0.25)]  # times round-trip to the microsecond


def test_upsert_overwrites_the_other_columns_of_existing_keys(fleet):
    node = _node_ids(fleet)[0]
    row = {"node_id": node, "state": "healthy", "since": AT, "why": "no open findings", "open_findings": 0}
    with fleet.transaction() as session:
        bulk.upsert(session.connection(), NODE_HEALTH, [row], ["node_id"])
        bulk.upsert(
            session.connection(), NODE_HEALTH, [row | {"state": "unhealthy", "why": "XID 79"}], ["node_id"]
        )
    with fleet.transaction() as session:
        assert session.execute(select(NODE_HEALTH.c.state, NODE_HEALTH.c.why)).all() == [
            ("unhealthy", "XID 79")
        ]


def test_a_naive_time_is_refused_on_both_backends(fleet):
    node = _node_ids(fleet)[0]
    with pytest.raises(Exception, match="naive datetime"), fleet.transaction() as session:
        bulk.insert(session.connection(), REPORTS, [_report("r1", node, datetime(2026, 6, 1, 12))])


@pytest.mark.parametrize("count", [0, 1, 3])
def test_among_matches_one_several_or_no_values(fleet, count):
    ids = _node_ids(fleet)[:count]
    among = bulk.Among(select(Node.id), Node.id)
    with fleet.transaction() as session:
        assert sorted(among.execute(session.connection(), ids).scalars()) == ids


@pytest.mark.parametrize("count", [0, 1, 3])
def test_each_matches_the_same_rows_as_among(fleet, count):
    """A probe per value (LATERAL on PostgreSQL) finds what one `= ANY` / `IN` finds, filters kept."""
    nodes = sorted(_node_ids(fleet))
    with fleet.transaction() as session:
        names = {i: h for i, h in session.execute(select(Node.id, Node.hostname))}
        wanted = [names[i] for i in nodes[:count]] + ["no-such-host"]
        query = select(Node.id, Node.hostname).where(Node.id != nodes[0])
        each = bulk.Each(query, Node.hostname).execute(session.connection(), wanted).all()
        among = bulk.Among(query, Node.hostname).execute(session.connection(), wanted).all()
    assert sorted(map(tuple, each)) == sorted(map(tuple, among)) == [(i, names[i]) for i in nodes[1:count]]
