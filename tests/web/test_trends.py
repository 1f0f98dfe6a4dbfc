"""The landing page's trends, bucketed from the records: pages and tickets per day from the outbox (a
page once per dedup key, on the day it was first queued), MTTR per day from the run rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.alerts.models import Outbox
from fleetops.health.coverage import mark_silent
from fleetops.web.trends import DAYS, buckets, coverage_per_day, pages_and_tickets
from tests.health.reports import body, report

NOW = datetime(2026, 3, 14, 15, 30, tzinfo=UTC)


def test_buckets_end_with_the_one_holding_now():
    days = buckets(NOW, timedelta(days=1), 3)
    assert days == [datetime(2026, 3, d, tzinfo=UTC) for d in (12, 13, 14)]
    hours = buckets(NOW, timedelta(hours=1), 2)
    assert hours == [datetime(2026, 3, 14, 14, tzinfo=UTC), datetime(2026, 3, 14, 15, tzinfo=UTC)]


def _message(kind: str, action: str, key: str, at: datetime) -> Outbox:
    return Outbox(
        receiver=kind,
        kind=kind,
        destination="test",
        dedup_key=key,
        action=action,
        payload={},
        status="delivered",
        created_at=at,
        next_attempt_at=at,
    )


def test_pages_count_once_per_key_on_their_first_day_and_tickets_apart(sqlite_database):
    today, yesterday = NOW - timedelta(hours=2), NOW - timedelta(days=1)
    rows = [
        _message("pagerduty", "trigger", "p1", yesterday),
        _message("pagerduty", "trigger", "p1", today),  # a repeat of yesterday's page
        _message("pagerduty", "resolve", "p1", today),
        _message("pagerduty", "trigger", "p2", today),
        _message("jira", "create", "t1", today),
        _message("slack", "post", "s1", today),
        _message("pagerduty", "trigger", "old", NOW - timedelta(days=DAYS + 1)),
    ]
    with sqlite_database.transaction() as session:
        session.add_all(rows)
    with sqlite_database.transaction() as session:
        chart = pages_and_tickets(session, NOW).payload()
    pages, tickets = (s["values"] for s in chart["series"])
    assert pages[-2:] == [1, 1] and sum(pages) == 2
    assert tickets[-1] == 1 and sum(tickets) == 1
    assert chart["x"][-1] == int(datetime(2026, 3, 14, tzinfo=UTC).timestamp()) and chart["bars"] is True


def test_coverage_walks_back_from_today_through_silences(client, fleet, tokens, manual_clock):
    everyone = [report(host) for host in ("a000", "a001", "a002", "b000", "b001", "b002")]
    client.post("/api/v1/health/reports", content=body(*everyone), headers=tokens["admin"])
    manual_clock.advance(86400 + 3600)  # the sweep finds them silent an hour into the next day
    with fleet.transaction() as session:
        assert mark_silent(session, manual_clock.now()) == 6
    manual_clock.advance(600)
    client.post("/api/v1/health/reports", content=body(report("a000")), headers=tokens["admin"])
    with fleet.transaction() as session:
        values = coverage_per_day(session, manual_clock.now()).payload()["series"][0]["values"]
    assert values[-1] == round(100 / 6, 2)  # today: one of six reports
    assert values[-2] == 100.0  # yesterday's end: all six reported, none had gone silent yet


def test_a_silence_begun_before_the_chart_and_ended_inside_it_counts_until_it_ended(
    client, fleet, tokens, manual_clock
):
    six = ("a000", "a001", "a002", "b000", "b001", "b002")
    client.post("/api/v1/health/reports", content=body(*map(report, six)), headers=tokens["admin"])
    manual_clock.advance(3600)
    with fleet.transaction() as session:
        assert mark_silent(session, manual_clock.now()) == 6
    manual_clock.advance(17 * 86400)  # past the chart's first day: the silences began before it
    client.post("/api/v1/health/reports", content=body(report("a000")), headers=tokens["admin"])
    manual_clock.advance(3 * 86400)
    client.post("/api/v1/health/reports", content=body(report("a000")), headers=tokens["admin"])
    with fleet.transaction() as session:
        values = coverage_per_day(session, manual_clock.now()).payload()["series"][0]["values"]
    assert values[0] == 0.0  # the chart's first day: all six still silent
    assert values[-1] == round(100 / 6, 2)  # a000 has reported since
    assert values.count(0.0) == DAYS - 4  # until the day a000 came back, three days ago
