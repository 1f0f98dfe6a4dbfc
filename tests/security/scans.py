"""Helpers for the security tests: post a fixture file (or bytes) to the import API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from fleetops import clock

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
