"""The audit log keeps at least 90 days and answers filtered queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleetops.audit.service import AuditQuery, Change, purge, query, record


def test_retention_keeps_recent_events_and_refuses_less_than_90_days(database, manual_clock):
    with database.transaction() as session:
        record(session, "op", Change("node.update", "node", "old", {}))
        manual_clock.advance(timedelta(days=100).total_seconds())
        record(session, "op", Change("node.update", "node", "new", {"state": ["ready", "cordoned"]}))
        manual_clock.advance(timedelta(days=20).total_seconds())
        assert purge(session, retention_days=110) == 1
        assert [e.target_key for e in query(session, AuditQuery(action="node.update"))] == ["new"]
        with pytest.raises(ValueError):
            purge(session, retention_days=30)
