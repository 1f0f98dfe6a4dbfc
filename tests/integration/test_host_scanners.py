"""The real host scanners, run once per session through the agent's own code (`agent.scans.run_scanner`):
Debian's OpenSCAP with the SSG CIS Level 1 server profile (~24 s here, every rule `notapplicable`: the
profile targets Ubuntu) and Lynis `--quick` (~49 s). Their real files are imported through the API (the
Lynis one also gives the node's kernel to the software inventory);
Trivy is not installable here, so the agent reports it absent."""

from __future__ import annotations

import platform
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fleetops.agent.scans import SCANNERS, Outcome, run_scanner
from fleetops.db.session import Database
from fleetops.deploy.hardening import HardeningFailed, ScanGate
from tests.security.test_scans import context

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("host-scanners")]
BY_NAME = {scanner.name: scanner for scanner in SCANNERS}


@pytest.fixture(scope="session")
def real_scans(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    directory = tmp_path_factory.mktemp("scans")
    yield {name: run_scanner(scanner, directory) for name, scanner in BY_NAME.items() if name != "trivy"}


def scanned(real_scans: dict[str, Outcome], name: str) -> Path:
    if shutil.which(BY_NAME[name].binary) is None:
        pytest.skip(f"{BY_NAME[name].binary} is not installed: `make test` installs it (scripts/testbed.sh)")
    outcome = real_scans[name]
    assert outcome.status == "done", outcome.detail
    assert outcome.path is not None
    return outcome.path


def test_lynis_report_is_imported(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], real_scans: dict[str, Outcome]
) -> None:
    path = scanned(real_scans, "lynis")
    lines = [
        line for line in path.read_text().splitlines() if line.startswith(("warning[]=", "suggestion[]="))
    ]
    params = {"scanner": "lynis", "filename": path.name, "host": "a000"}
    answer = client.post(
        "/api/v1/security/imports", params=params, content=path.read_bytes(), headers=tokens["operator"]
    )
    assert answer.status_code == 201, answer.text
    assert 0 < answer.json()["findings"] <= len(lines)
    software = client.get("/api/v1/security/software/a000", headers=tokens["viewer"]).json()
    kernels = [
        (row["name"], row["version"], row["source"]) for row in software if row["component"] == "kernel"
    ]
    assert kernels == [("linux", platform.release(), "lynis")]  # the real Lynis's uname -r, stored
    again = client.post(
        "/api/v1/security/imports", params=params, content=path.read_bytes(), headers=tokens["operator"]
    )
    assert again.json()["outcome"] == "unchanged"


def test_openscap_arf_is_imported_and_a_profile_that_does_not_apply_fails_the_gate(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], real_scans: dict[str, Outcome]
) -> None:
    path = scanned(real_scans, "openscap")
    params = {"scanner": "openscap", "filename": path.name, "host": "a000"}
    answer = client.post(
        "/api/v1/security/imports", params=params, content=path.read_bytes(), headers=tokens["operator"]
    )
    assert answer.status_code == 201, answer.text
    log = client.get("/api/v1/security/imports", headers=tokens["viewer"]).json()
    assert log[0]["profile"] == "xccdf_org.ssgproject.content_profile_cis_level1_server"
    assert log[0]["rules_applicable"] == 0  # Debian under an Ubuntu profile
    with pytest.raises(HardeningFailed, match="no rule of the CIS profile applied"):
        ScanGate().run(context(1, "a000", None))


def test_an_absent_scanner_is_an_outcome_not_a_clean_scan(tmp_path: Path) -> None:
    missing = BY_NAME["trivy"]
    if shutil.which(missing.binary):
        pytest.skip("trivy is installed here; this test needs a machine without it")
    outcome = run_scanner(missing, tmp_path)
    assert (outcome.status, outcome.path) == ("absent", None)
