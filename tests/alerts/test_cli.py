"""The alert commands: `routes test` explains offline, `incidents list --json` reads the rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fleetops.alerts.policy import default_routes
from fleetops.cli.alerts import app, incidents_app, routes_app
from fleetops.config import settings
from fleetops.wire import FaultOwner
from tests.alerts.fleet import finding, fleet
from tests.alerts.harness import Timeline, configured_notify
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture
from tests.factories import load

runner = CliRunner()


def said(result: Result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_routes_test_explains_where_a_p0_goes() -> None:
    result = runner.invoke(routes_app, ["test", "priority=P0", "owner=hardware", "--json"])
    assert result.exit_code == 0, result.output
    assert [m["receiver"] for m in json.loads(result.output)["routes"]] == [
        "oncall-pager",
        "supplier-tickets",
        "supplier-slack",
    ]
    human = runner.invoke(routes_app, ["test", "priority=P2", "owner=hardware"])
    assert "no page" in human.output and "supplier-tickets" in human.output


def test_the_readme_example_is_routed_as_the_pipeline_would_route_it() -> None:
    """`check=xid xid=79` carries no owner or priority: both are derived, and the page verdict says why."""
    found = json.loads(
        runner.invoke(routes_app, ["test", "cluster=alpha", "check=xid", "xid=79", "--json"]).output
    )
    assert (found["labels"]["owner"], found["labels"]["priority"]) == ("hardware", "P2")
    assert any("XID 79 ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS" in line for line in found["derived"])
    assert [m["receiver"] for m in found["routes"]] == ["supplier-tickets", "supplier-slack"]
    assert (
        found["page"]
        == 'no page: oncall-pager (root.routes[0]) needs priority="P0", this alert has priority="P2"'
    )


CONFIGURED_ROUTES = """
route:
  receiver: ops
  routes:
    - matchers: ['priority=~"P0|P1"']
      receiver: night-pager
      continue: true
    - matchers: ['cluster="alpha"', 'owner="hardware"']
      receiver: alpha-hardware
receivers:
  - {name: ops, kind: jira, url: "https://jira.test", project: OPS}
  - {name: night-pager, kind: pagerduty, url: "https://events.test/v2/enqueue"}
  - {name: alpha-hardware, kind: slack, by_label: supplier}
"""


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An operator's routing tree and rules, named by FLEETOPS_ALERT_ROUTES / FLEETOPS_ALERT_RULES."""
    (tmp_path / "routes.yaml").write_text(CONFIGURED_ROUTES)
    (tmp_path / "rules.yaml").write_text("classification: {node_priority: P1}\n")
    monkeypatch.setenv("FLEETOPS_ALERT_ROUTES", str(tmp_path / "routes.yaml"))
    monkeypatch.setenv("FLEETOPS_NOTIFY__ROUTING_KEYS", '{"night-pager": "k"}')
    monkeypatch.setenv("FLEETOPS_NOTIFY__WEBHOOKS", '{"alpha-hardware": {"default": "https://hooks.test/a"}}')
    settings.cache_clear()
    yield tmp_path
    monkeypatch.delenv("FLEETOPS_ALERT_ROUTES")
    monkeypatch.delenv("FLEETOPS_ALERT_RULES", raising=False)
    settings.cache_clear()


def test_routes_test_reads_the_configured_tree_and_says_why_there_is_no_page(configured: Path) -> None:
    result = runner.invoke(routes_app, ["test", "cluster=alpha", "check=xid", "xid=79"])
    assert result.exit_code == 0, result.output
    assert "alpha-hardware" in result.output and "supplier-tickets" not in result.output
    verdict = said(result)
    assert (
        'no page: night-pager (root.routes[0]) needs priority=~"P0|P1", this alert has priority="P2"'
        in verdict
    )


def test_routes_test_pages_when_the_configured_rules_make_the_alert_p1(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLEETOPS_ALERT_RULES", str(configured / "rules.yaml"))
    settings.cache_clear()
    found = json.loads(
        runner.invoke(routes_app, ["test", "cluster=alpha", "check=xid", "xid=79", "--json"]).output
    )
    assert found["labels"]["priority"] == "P1"
    assert found["page"] == "page: night-pager via root.routes[0]"


def test_routes_check_validates_the_configured_files_and_warns_of_receivers_that_cannot_send(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(routes_app, ["check"])
    assert result.exit_code == 0 and str(configured / "routes.yaml") in "".join(result.output.split())
    assert "warning" not in result.output
    monkeypatch.delenv("FLEETOPS_NOTIFY__WEBHOOKS")
    settings.cache_clear()
    warned = runner.invoke(routes_app, ["check"])
    assert "receiver alpha-hardware has no url, webhook or routing key configured" in said(warned)
    (configured / "routes.yaml").write_text(
        CONFIGURED_ROUTES.replace("by_label: supplier", 'url: "https://hooks.test/alpha"')
    )
    refused = runner.invoke(routes_app, ["check"])
    assert refused.exit_code == 2 and "a Slack webhook is a secret" in refused.output
    (configured / "routes.yaml").write_text("route: {receiver: nobody}\nreceivers: []\n")
    broken = runner.invoke(routes_app, ["check"])
    assert broken.exit_code == 2 and "'nobody' is not defined" in broken.output


def test_routes_test_refuses_bad_labels() -> None:
    result = runner.invoke(routes_app, ["test", "priority"])
    assert result.exit_code == 2 and "LABEL=VALUE" in result.output


@pytest.mark.usefixtures("remote_cli")
def test_incidents_list_and_explain(sqlite_database, manual_clock) -> None:
    load(sqlite_database, fleet(racks=2))
    timeline = Timeline(sqlite_database, manual_clock, routes=default_routes(), secrets=configured_notify({}))
    timeline.push([finding("a01n01", "xid", FaultOwner.HARDWARE, manual_clock.now(), gpu=1, xid=79)])
    rows = json.loads(runner.invoke(incidents_app, ["list", "--json"]).output)
    assert [(r["scope"], r["priority"]) for r in rows] == [("node", "P2")]
    explained = runner.invoke(app, ["explain", "1"])
    assert explained.exit_code == 0 and "not paged" in explained.output
    manual_clock.advance(30)
    timeline.tick()  # no Slack webhook is configured for the supplier: that forward fails
    why = "receiver supplier-slack has no webhook for supplier=acme"
    assert f"message to supplier-slack: trigger failed after 0 attempts: {why}" in said(
        runner.invoke(app, ["explain", "1"])
    )
    missing = runner.invoke(app, ["explain", "99"])
    assert missing.exit_code == 2 and "alert 99" in missing.output
