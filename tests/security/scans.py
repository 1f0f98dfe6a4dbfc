"""Helpers for the security tests: post a fixture file (or bytes) to the import API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from fleetops import clock
from fleetops.auth.principal import SYSTEM
from fleetops.db.session import Database
from fleetops.deploy.models import NodeBringup
from fleetops.security.choices import Scanner
from fleetops.security.hardening import verdict
from fleetops.security.imports import Offered, import_file

FIXTURES = Path(__file__).parent / "fixtures"


def post_scan(
    client: TestClient,
    headers: dict[str, str],
    scanner: str,
    name: str,
    data: bytes | None = None,
    **params: str,
) -> Response:
    body = data if data is not None else (FIXTURES / name).read_bytes()
    query = {"scanner": scanner, "filename": name, **params}
    return client.post("/api/v1/security/imports", params=query, content=body, headers=headers)


def trivy(*vulnerabilities: tuple[str, str, str]) -> bytes:
    """A Trivy rootfs report listing (CVE, package, severity), made now (as each real scan is dated)."""
    found: list[dict[str, Any]] = [
        {"VulnerabilityID": cve, "PkgName": pkg, "InstalledVersion": "1.0", "Severity": sev}
        for cve, pkg, sev in vulnerabilities
    ]
    results = [{"Target": "/ (ubuntu 22.04)", "Class": "os-pkgs", "Type": "ubuntu", "Vulnerabilities": found}]
    document = {
        "SchemaVersion": 2,
        "CreatedAt": clock.now().isoformat(),
        "ArtifactName": "/",
        "ArtifactType": "filesystem",
        "Results": results,
    }
    return json.dumps(document).encode()


def cis_scan(passing: bool = True) -> bytes:
    """The XCCDF results fixture (three applicable CIS rules), every rule passed or as captured (one fail)."""
    data = (FIXTURES / "xccdf-results.xml").read_bytes()
    return data.replace(b"<result>fail</result>", b"<result>pass</result>") if passing else data


def scan_nodes_in_hardening(database: Database, failing: frozenset[str] = frozenset()) -> list[str]:
    """The agents' CIS scans, as the hardening step waits for them: each node whose hardening step has
    begun and that has no scan since gets one imported (failing for the nodes in `failing`)."""
    with database.transaction() as session:
        waiting = session.execute(
            select(NodeBringup.hostname, NodeBringup.node_id, NodeBringup.step_started_at).where(
                NodeBringup.state == "hardening", NodeBringup.step_started_at.is_not(None)
            )
        ).all()
        due = [host for host, node_id, began in waiting if not verdict(session, node_id, began).scanned]
    for host in due:
        offered = Offered(Scanner.OPENSCAP, f"{host}.xml", cis_scan(host not in failing), host)
        import_file(database, SYSTEM, offered)
    return due
