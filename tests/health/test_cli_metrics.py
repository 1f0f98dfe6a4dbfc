"""`fleetops health ...` (JSON and tables) and the Prometheus families, over the same records as the API."""

from __future__ import annotations

import json

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from typer.testing import CliRunner

from fleetops.cli.health import app
from fleetops.health.metrics import health_metrics
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture
from tests.health.reports import body, report, xid


def _seed(client, tokens):
    sick = [
        report("a000", xids=[xid(79, index=4)]),
        report("b000"),
        report("b001", xids=[xid(4242, index=1)]),
    ]
    assert (
        client.post("/api/v1/health/reports", content=body(*sick), headers=tokens["admin"]).status_code == 200
    )


@pytest.mark.usefixtures("remote_cli")
def test_cli_summary_node_findings_coverage(client, tokens, fleet):
    _seed(client, tokens)
    runner = CliRunner()
    summary = json.loads(runner.invoke(app, ["summary", "--json"]).stdout)
    assert summary["nodes"]["unhealthy"] == 1 and summary["nodes"]["degraded"] == 1
    node = json.loads(runner.invoke(app, ["node", "a000", "--json"]).stdout)
    assert node["state"] == "unhealthy" and node["gpus"][4]["state"] == "unhealthy"
    found = json.loads(runner.invoke(app, ["findings", "--open", "--xid", "4242", "--json"]).stdout)
    assert [f["title"] for f in found["items"]] == ["unknown XID 4242"]
    cover = json.loads(runner.invoke(app, ["coverage", "--json"]).stdout)
    assert cover["fleet"] == {"name": "fleet", "expected": 6, "reporting": 3, "silent": 3, "share": 0.5}
    shown = runner.invoke(app, ["node", "a000"], env={"COLUMNS": "250"})
    assert shown.exit_code == 0 and "XID 79" in shown.stdout
    missing = runner.invoke(app, ["node", "nope"])
    assert missing.exit_code == 2


def test_metrics_families(client, tokens, fleet):
    _seed(client, tokens)

    class Scrape:
        def collect(self):
            with fleet.transaction() as session:
                yield from health_metrics(session)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Scrape())
    text = generate_latest(registry).decode()
    assert 'fleetops_health_nodes{cluster="alpha",state="unhealthy",supplier="acme"} 1.0' in text
    assert 'fleetops_health_gpus{cluster="beta",state="degraded",supplier="globex"} 1.0' in text
    assert 'fleetops_health_coverage_ratio{name="fleet",scope="fleet"} 0.5' in text
    assert 'fleetops_health_findings_open{check="xid",severity="critical"} 1.0' in text
    assert "fleetops_health_reports_per_second 0.01" in text


def test_grafana_dashboards_use_only_metrics_that_exist(fleet):
    import re
    from pathlib import Path

    import fleetops.agent.metrics as agent_metrics

    root = Path(__file__).resolve().parents[2]
    with fleet.transaction() as session:
        names = {family.name for family in health_metrics(session)}
    source = Path(agent_metrics.__file__).read_text()
    names |= set(re.findall(r'"(fleetops_agent_[a-z_]+)"', source))
    names |= {f"{name}_total" for name in names}
    dashboards = sorted((root / "deploy" / "grafana").glob("*.json"))
    assert len(dashboards) == 3
    for path in dashboards:
        data = json.loads(path.read_text())
        assert data["uid"] and data["templating"]["list"][0]["type"] == "datasource"
        used = {
            m
            for p in data["panels"]
            for t in p["targets"]
            for m in re.findall(r"fleetops_[a-z_]+", t["expr"])
        }
        assert used and used <= names, (path.name, used - names)
