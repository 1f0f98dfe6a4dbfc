"""`fleetops security-incidents` over the API: declare, lead, notice; a refusal as one stderr line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fleetops.cli.security_access import incidents_app
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture

runner = CliRunner()


@pytest.mark.usefixtures("remote_cli")
def test_declare_lead_and_render_a_notice(sqlite_database):
    made = runner.invoke(
        incidents_app, ["declare", "Exposed BMC", "--priority", "P2", "--customers", "Acme", "--json"]
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["key"] == "SEC-1"
    refused = runner.invoke(incidents_app, ["move", "SEC-1", "investigating"])
    assert refused.exit_code == 2 and refused.output.startswith("error: SEC-1: field commander")
    assert runner.invoke(incidents_app, ["assign", "SEC-1", "commander", "ada"]).exit_code == 0
    assert runner.invoke(incidents_app, ["move", "SEC-1", "investigating"]).exit_code == 0
    notice = runner.invoke(incidents_app, ["notice", "SEC-1", "first_notice"])
    assert "Dear Acme," in notice.output and "Incident commander: ada" in notice.output
    secret = runner.invoke(incidents_app, ["declare", "Insider", "--priority", "P0", "--confidential"])
    assert secret.exit_code == 2 and "needs one of: security" in secret.output
