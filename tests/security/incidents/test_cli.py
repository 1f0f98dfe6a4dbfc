"""`fleetops security incidents` over the API: declare, lead, notice; a refusal as one stderr line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fleetops.alerts import policy
from fleetops.cli.security_access import incidents_app
from fleetops.config import Settings
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


@pytest.mark.usefixtures("remote_cli")
def test_send_a_notice_to_the_incidents_customers_or_refuse_in_one_line(fleet, monkeypatch):
    """initech has a webhook, umbrella none: a notice to initech is queued; one to umbrella refuses the
    send on stderr, exits non-zero and queues nothing."""
    hooks = {"webhooks": {"customer-slack": {"initech": "http://127.0.0.1:9/slack/initech"}}}
    configured = Settings.model_validate({"notify": hooks})
    monkeypatch.setattr(policy, "settings", lambda: configured)
    made = runner.invoke(
        incidents_app, ["declare", "Leaked kubeconfig", "--priority", "P1", "--customers", "initech"]
    )
    assert made.exit_code == 0, made.output
    sent = runner.invoke(incidents_app, ["send", "SEC-1", "first_notice", "--json"])
    assert sent.exit_code == 0, sent.output
    assert [(n["notice"], n["customer"], n["status"]) for n in json.loads(sent.output)] == [
        ("first_notice", "initech", "pending")
    ]
    refused = runner.invoke(incidents_app, ["send", "SEC-1", "update", "--customer", "umbrella"])
    assert refused.exit_code != 0
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("error: SEC-1: nothing sent")
    assert "customer=umbrella" in refused.stderr
    listed = runner.invoke(incidents_app, ["send", "SEC-1", "update", "--customer", "initech"])
    assert listed.exit_code == 0 and listed.stdout.count("initech") == 2  # both notices, newest first
    unknown = runner.invoke(incidents_app, ["send", "SEC-1", "farewell"])
    assert unknown.exit_code != 0 and unknown.stderr.startswith("error: ")
