"""Every key result's number traces to records: change them, see the value and the status move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.alerts.models import Outbox
from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.errors import InvalidInput
from fleetops.okr import pager
from fleetops.okr.scorecard import scorecard
from fleetops.remediation import service as remediation
from fleetops.remediation.schemas import SettingsUpdate
from fleetops.suppliers.choices import Rating
from tests.factories import bearer, load, token, two_tenant_fleet
from tests.okr.records import report

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HISTORY = "id,created_on,title\n" + "".join(
    f"{i},2026-01-0{1 + i % 3}T0{i % 9}:00:00Z,page {i}\n" for i in range(30)
)  # 30 pages over 3 days: 10 a day


@pytest.fixture
def world(manual_clock, database):
    manual_clock.set(T0)
    load(database, two_tenant_fleet())
    return database


def rows(session):
    return {r.key_result.id: r for r in scorecard(session, SYSTEM)}


def _page(session, key: str) -> None:
    session.add(
        Outbox(
            receiver="oncall-pager",
            kind="pagerduty",
            destination="x",
            dedup_key=key,
            action="trigger",
            payload={},
            status="delivered",
            created_at=T0 - timedelta(days=1),
            next_attempt_at=T0,
        )
    )


def test_page_reduction_against_imported_pager_history(world):
    with world.transaction() as s:
        assert rows(s)["page_reduction"].status is Rating.NO_DATA
        assert pager.import_history(s, SYSTEM, HISTORY, "pd.csv") == 30
        assert pager.import_history(s, SYSTEM, HISTORY, "pd.csv") == 30  # a re-import changes nothing
        assert rows(s)["page_reduction"].figure.value == 100.0
        for i in range(150):  # 5 a day over the 30-day window: half the baseline
            _page(s, f"k{i}")
        _page(s, "k0")  # the same page again (one dedup key) is one page
        row = rows(s)["page_reduction"]
    assert row.figure.value == pytest.approx(50.0) and row.status is Rating.GREEN
    assert row.figure.records == "150 pages in 30 days against 30 pages over 3 imported days"


def test_a_bad_pager_export_names_its_line(world):
    with world.transaction() as s, pytest.raises(InvalidInput) as caught:
        pager.import_history(s, SYSTEM, "created_on\n2026-01-01T00:00:00Z\nyesterday\n", "pd.csv")
    assert caught.value.message == "pd.csv:3: field created_on: not a time: 'yesterday'"


def test_clusters_trackable_and_remediation_coverage(world):
    with world.transaction() as s:
        before = rows(s)
        assert before["clusters_trackable"].figure.value == 100.0
        assert before["remediation_coverage"].status is Rating.GREEN
    # gamma has no customer, supplier or contract: not trackable
    load(world, {"clusters": [{"name": "gamma", "orchestrator": "kubernetes", "state": "active"}]})
    with world.transaction() as s:
        remediation.update_settings(s, SYSTEM, 1, SettingsUpdate(enabled=False))
        after = rows(s)
    assert after["clusters_trackable"].figure.value == pytest.approx(200 / 3)
    assert after["clusters_trackable"].status is Rating.RED
    assert after["remediation_coverage"].figure.value == pytest.approx(200 / 3)
    assert after["remediation_coverage"].figure.records == "2 of 3 active clusters with remediation on"


def test_fsh_coverage_counts_clusters_with_nodes_reporting(world):
    with world.transaction() as s:
        assert rows(s)["fsh_coverage"].figure.value == 0.0
        report(s, "a000", T0 - timedelta(minutes=1))  # within the five minutes before now
        s.flush()
        row = rows(s)["fsh_coverage"]
    assert (row.figure.value, row.status) == (50.0, Rating.RED)


def test_only_staff_read_the_goals(client, fleet, tokens):
    assert client.get("/api/v1/okr", headers=tokens["viewer"]).status_code == 200
    assert [r["id"] for r in client.get("/api/v1/okr", headers=tokens["admin"]).json()][0] == "gpus_per_hour"
    for who in (tokens["initech"], tokens["acme"], bearer(token(fleet, Role.SALES))):
        assert client.get("/api/v1/okr", headers=who).status_code == 403
    sent = client.post("/api/v1/okr/pager-history", content=HISTORY, headers=tokens["viewer"])
    assert sent.status_code == 403
    sent = client.post("/api/v1/okr/pager-history", content=HISTORY, headers=tokens["operator"])
    assert sent.status_code == 200 and sent.json() == {"pages": 30}
