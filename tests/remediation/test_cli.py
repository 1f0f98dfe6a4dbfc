"""The remediation CLI and `fleetops sim day` (which reports from the engine's own records)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from fleetops.cli.remediation import app, day
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture

runner = CliRunner()


@pytest.mark.usefixtures("remote_cli")
def test_runs_show_settings_and_switches(bed):
    [run_id] = bed.finding("b000", xid=79)
    bed.play(30)
    listed = json.loads(runner.invoke(app, ["runs", "--json"]).output)
    assert [r["id"] for r in listed] == [run_id] and listed[0]["state"] == "acting"
    shown = json.loads(runner.invoke(app, ["show", str(run_id), "--json"]).output)
    assert [s["action"] for s in shown["steps"] if s["outcome"] == "ok" and s["action"]] == ["drain"]
    result = runner.invoke(app, ["settings", str(bed.run(run_id).cluster_id), "--disabled", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["enabled"] is False
    assert "kill: ON" in runner.invoke(app, ["kill-switch", "on", "--reason", "drill"]).output
    missing = runner.invoke(app, ["breaker-reset", "cluster", "999"])
    assert missing.exit_code == 2 and "not found" in missing.output
    assert runner.invoke(app, ["show", "999"]).exit_code == 2


def test_sim_day_prints_mttr_and_automation_from_the_records(sqlite_database):
    sim = typer.Typer()
    sim.command("day")(day)
    sim.command("noop")(lambda: None)
    result = runner.invoke(sim, ["day", "--nodes", "1000", "--hours", "12", "--intensity", "30", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{") :])
    assert data["faults"] > 0 and data["runs"] > 0
    assert data["runs"] == sum(data["by_state"].values())
    assert 0 < data["automation"]["share"] <= 1
    assert data["mttr"]["hardware"]["count"] + data["mttr"]["software"]["count"] > 0
