"""The alert commands: `routes test` explains offline, `incidents list --json` reads the rows."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fleetops.cli.alerts import app, incidents_app, routes_app
from fleetops.flow import FaultOwner
from tests.alerts.fleet import finding, fleet
from tests.alerts.harness import Timeline
from tests.factories import load

runner = CliRunner()


def test_routes_test_explains_where_a_p0_goes() -> None:
    result = runner.invoke(routes_app, ["test", "priority=P0", "owner=hardware", "--json"])
    assert result.exit_code == 0, result.output
    assert [m["receiver"] for m in json.loads(result.output)] == [
        "oncall-pager",
        "supplier-tickets",
        "supplier-slack",
    ]
    human = runner.invoke(routes_app, ["test", "priority=P2", "owner=hardware"])
    assert "no page" in human.output and "supplier-tickets" in human.output


def test_routes_test_refuses_bad_labels() -> None:
    result = runner.invoke(routes_app, ["test", "priority"])
    assert result.exit_code == 2 and "LABEL=VALUE" in result.output


def test_incidents_list_and_explain(sqlite_database, manual_clock) -> None:
    load(sqlite_database, fleet(racks=2))
    Timeline(sqlite_database, manual_clock).push(
        [finding("a01n01", "xid", FaultOwner.HARDWARE, manual_clock.now(), gpu=1, xid=79)]
    )
    rows = json.loads(runner.invoke(incidents_app, ["list", "--json"]).output)
    assert [(r["scope"], r["priority"]) for r in rows] == [("node", "P2")]
    explained = runner.invoke(app, ["explain", "1"])
    assert explained.exit_code == 0 and "not paged" in explained.output
    missing = runner.invoke(app, ["explain", "99"])
    assert missing.exit_code == 2 and "alert 99" in missing.output
