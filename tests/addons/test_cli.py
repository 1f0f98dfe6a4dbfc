"""`fleetops addons` through the real app: change with a diff, a refusal as one line naming the pointer,
and the rendered files written to disk."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fleetops.cli.addons import app
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture

runner = CliRunner()


@pytest.mark.usefixtures("remote_cli", "fleet")
def test_set_show_render_and_a_refusal(tmp_path):
    done = runner.invoke(
        app, ["set", "alpha", "advanced-metrics", "--on", "--settings", '{"scrape_interval_s": 15}']
    )
    assert done.exit_code == 0, done.output
    assert "/enabled: false → true" in done.output and "/settings/scrape_interval_s: 30 → 15" in done.output
    shown = json.loads(runner.invoke(app, ["show", "alpha", "--json"]).output)
    assert next(s for s in shown if s["addon"] == "advanced-metrics")["enabled"] is True
    refused = runner.invoke(app, ["set", "alpha", "nvsentinel", "--on", "--settings", '{"dryRun": "no"}'])
    assert refused.exit_code == 2 and "/settings/dryRun" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    written = runner.invoke(app, ["render", "alpha", "--out", str(tmp_path)])
    assert written.exit_code == 0, written.output
    assert (tmp_path / "alpha/advanced-metrics/1.1.0/advanced-metrics.yaml").is_file()
    coverage = json.loads(runner.invoke(app, ["coverage", "--json"]).output)
    assert {c["addon"]: c["enabled"] for c in coverage}["advanced-metrics"] == 1
