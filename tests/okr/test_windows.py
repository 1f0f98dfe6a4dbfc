"""Every key-result reader honours its window: records moved into a past window change that window's
value, moved out of it change it back, and today's value stays what it was throughout. The goals'
history (a point per week) is those readers over past weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.okr.history import WEEKS, history
from fleetops.okr.keyresults import default_key_results
from fleetops.okr.sources import READERS, Window
from tests.factories import load, token, two_tenant_fleet
from tests.okr import records
from tests.okr.records import Maker

T0 = datetime(2026, 6, 1, tzinfo=UTC)
TODAY = Window(T0, 30)
PAST = Window(T0 - timedelta(days=60), 30)  # [T0 - 90 d, T0 - 60 d)
IN_PAST = T0 - timedelta(days=70)
AT_PAST_END = PAST.end - timedelta(minutes=1)  # a state read at the window's end
BETWEEN = T0 - timedelta(days=45)  # in neither window


@pytest.fixture
def world(manual_clock, database):
    manual_clock.set(T0 - timedelta(days=200))  # the fleet existed before every window
    load(database, two_tenant_fleet())
    manual_clock.set(T0)
    return database


def value(session, source: str, window: Window) -> float | None:
    figure = READERS[source](session, window).value
    return None if figure is None else round(figure, 2)


CASES: list[tuple[str, Maker, datetime, float | None, float | None]] = [
    # source, the records, where they go in the past window, past value with them, without them
    ("gpus_per_hour", records.rollout, IN_PAST, 8.0, None),
    ("nodes_needing_person", records.rollout, IN_PAST, 100.0, None),
    ("mttr_software", records.run("software"), IN_PAST, 600.0, None),
    ("mttr_hardware", records.run("hardware"), IN_PAST, 600.0, None),
    ("automated_resolution", records.run("software"), IN_PAST, 100.0, None),
    ("page_reduction", records.page, IN_PAST, 80.0, 100.0),
    ("fsh_coverage", lambda s, at: records.report(s, "a000", at), AT_PAST_END, 50.0, 0.0),
    ("remediation_coverage", records.switch_off, IN_PAST, 50.0, 100.0),
    ("clusters_trackable", records.untracked_cluster, IN_PAST, 66.67, 100.0),
    ("decommission_time", records.decommission, IN_PAST, 36000.0, None),
]


def test_every_reader_has_a_window_case():
    assert {source for source, *_ in CASES} == set(READERS)


@pytest.mark.parametrize(
    ("source", "make", "inside", "with_them", "without"), CASES, ids=[case[0] for case in CASES]
)
def test_records_moved_in_and_out_of_a_past_window_move_only_its_value(
    world, source, make, inside, with_them, without
):
    with world.transaction() as session:
        rows = make(session, inside)
        session.flush()
        past_in, today_in = value(session, source, PAST), value(session, source, TODAY)
        records.move(rows, BETWEEN)
        session.flush()
        past_out, today_out = value(session, source, PAST), value(session, source, TODAY)
    assert (past_in, past_out) == (with_them, without)
    assert today_in == today_out


def test_the_history_has_a_point_per_week_read_from_that_weeks_records(world):
    with world.transaction() as session:
        records.decommission(session, T0 - timedelta(days=20))
        session.flush()
        charts = dict((kr.id, chart) for kr, chart in history(session, SYSTEM))
    chart = charts["decommission_time"]
    assert len(chart.x) == WEEKS and chart.x[-1] == T0 - timedelta(days=7) and chart.unit == "min"
    value, target = chart.series
    assert value.values[WEEKS - 3] == 600.0  # ten hours, in the week [T0 - 21 d, T0 - 14 d)
    assert [v for i, v in enumerate(value.values) if i != WEEKS - 3] == [None] * (WEEKS - 1)
    assert set(target.values) == {1440.0}  # 24 h
    assert set(charts) == {kr.id for kr in default_key_results()}


def test_the_goals_page_draws_each_key_results_history_for_staff_only(world, client):
    client.cookies.set("fleetops_token", token(world, Role.VIEWER))
    page = client.get("/okr")
    assert page.status_code == 200
    assert page.text.count('id="kr-history-') == len(default_key_results())
    assert 'id="kr-history-mttr_software"' in page.text and "data-chart=" in page.text
    client.cookies.set("fleetops_token", token(world, Role.CUSTOMER, customer_id=1))
    assert client.get("/okr").status_code == 403
