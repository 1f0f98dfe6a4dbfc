"""`fleetops security access` over the API: import, report, a bad file as one stderr line, a request the same
person may not grant."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fleetops.cli.security_access import access_app
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture
from tests.security.access.conftest import FIXTURES

runner = CliRunner()
FILES = [
    "--tailnet",
    str(FIXTURES / "tailnet.hujson"),
    "--teleport-roles",
    str(FIXTURES / "teleport_roles.yaml"),
    "--users",
]


@pytest.mark.usefixtures("remote_cli")
def test_import_report_and_request(sqlite_database, tmp_path):
    bad = tmp_path / "users.csv"
    bad.write_text(
        (FIXTURES / "users.csv").read_text().replace("Heidi Novak,ops,ops-prod,no", "Heidi,ops,ops-prod,?")
    )
    refused = runner.invoke(access_app, ["import", *FILES, str(bad)])
    assert refused.exit_code == 2
    assert refused.output.strip() == "error: users.csv: line 9: field mfa: '?' is not yes or no"
    done = runner.invoke(access_app, ["import", *FILES, str(FIXTURES / "users.csv")])
    assert done.exit_code == 0, done.output
    assert "11 with standing production access, 5 unnecessary" in done.output
    report = json.loads(runner.invoke(access_app, ["report", "--json"]).output)
    assert len(report["flags"]) == 9
    asked = runner.invoke(
        access_app, ["request", "carol@gpucloud.example", "prod-debug", "--reason", "INC-7", "--json"]
    )
    assert json.loads(asked.output)[0]["state"] == "requested"
    own = runner.invoke(access_app, ["grant", "1"])
    assert own.exit_code == 2 and "someone else decides" in own.output
