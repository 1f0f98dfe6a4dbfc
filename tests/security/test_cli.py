"""`fleetops security` in this process against the real app: an import, a refusal as one stderr line,
the findings and the dashboard as an operator reads them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from fleetops.cli.main import app
from fleetops.db.session import Database
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture
from tests.security.scans import FIXTURES

runner = CliRunner()


def fleetops(*args: str) -> Result:
    return runner.invoke(app, list(args), prog_name="fleetops")


def test_import_findings_and_dashboard(fleet: Database, remote_cli: object) -> None:  # noqa: F811
    done = fleetops(
        "security", "import", str(FIXTURES / "trivy-rootfs.json"), "--scanner", "trivy", "--host", "a000"
    )
    assert done.exit_code == 0, done.stderr
    assert "trivy-rootfs.json → node a000: 3 findings: 3 opened, 0 closed, 0 reopened" in done.stdout
    again = fleetops(
        "security", "import", str(FIXTURES / "trivy-rootfs.json"), "--scanner", "trivy", "--host", "a000"
    )
    assert "unchanged" in again.stdout
    listed = json.loads(fleetops("security", "findings", "--severity", "critical", "--json").stdout)
    assert [f["check_id"] for f in listed] == ["CVE-2024-6387"]
    board = json.loads(fleetops("security", "dashboard", "--json").stdout)
    assert board["open_by_severity"] | {} == {"critical": 1, "high": 1, "medium": 0, "low": 1, "unknown": 0}
    assert board["criticals_by_cluster"] == [{"name": "alpha", "within": 1, "total": 1, "share": 1.0}]


def test_a_refused_file_is_one_stderr_line_naming_it(fleet: Database, remote_cli: object, tmp_path) -> None:  # noqa: F811
    bad = tmp_path / "kube-bench-alpha.json"
    bad.write_text('{"Controls": [{"tests": [{"results": [{"test_number": "1.1", "status": "??"}]}]}]}')
    result = fleetops("security", "import", str(bad), "--scanner", "kube-bench", "--cluster", "alpha")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "error: kube-bench-alpha.json: /Controls/0/tests/0/results/0/status: status '??' is not one of "
        "ERRO, FAIL, INFO, MANU, PASS, SKIP, WARN"
    )


def test_affected_names_the_nodes_and_the_unknown(fleet: Database, remote_cli: object) -> None:  # noqa: F811
    path = str(FIXTURES / "trivy-rootfs.json")
    assert fleetops("security", "import", path, "--scanner", "trivy", "--host", "a000").exit_code == 0
    shown = fleetops("security", "affected", "--cve", "CVE-2024-6387")
    assert shown.exit_code == 0, shown.stderr
    assert "a000" in shown.stdout
    assert "1 of 6 nodes affected (range any); 5 unknown (no source has described them)" in shown.stdout
    refused = fleetops("security", "affected", "--component", "bmc", "--range", "1.0")
    assert refused.exit_code == 2 and "field range: bound 1 '1.0'" in refused.stderr
    listed = json.loads(fleetops("security", "software", "a000", "--json").stdout)
    assert listed == []


def test_a_directory_is_imported_and_each_refusal_is_a_stderr_line(
    fleet: Database,
    remote_cli: object,  # noqa: F811
    tmp_path: Path,
) -> None:
    scans = tmp_path / "day"
    scans.mkdir()
    good = (FIXTURES / "trivy-rootfs.json").read_bytes()
    (scans / "a000.json").write_bytes(good)
    (scans / "a001.json").write_bytes(good)
    (scans / "nobody.json").write_bytes(good)
    done = fleetops("security", "import", str(scans), "--scanner", "trivy")
    assert done.exit_code == 2
    assert "a000.json → node a000: 3 findings: 3 opened" in done.stdout
    assert "a001.json → node a001: 3 findings: 3 opened" in done.stdout
    assert done.stderr.strip() == "error: nobody.json: file name: unknown host 'nobody'"


def test_access_incidents_and_updates_live_under_security_as_in_the_api() -> None:
    listed = fleetops("security", "--help")
    assert listed.exit_code == 0
    for group in ("access", "incidents", "updates"):
        assert f"│ {group} " in listed.stdout, group
    for gone in ("access", "updates", "security-incidents"):  # no top-level copies beside them
        assert fleetops(gone, "--help").exit_code != 0, gone
    assert "declare" in fleetops("security", "incidents", "--help").stdout
    assert "declare" not in fleetops("incidents", "--help").stdout  # that one is the alerts' incidents
