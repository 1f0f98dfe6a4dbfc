"""Trivy's JSON report, schema version 2: `trivy rootfs` of a host, or `trivy image` of a container image.

Shape checked against Trivy's own integration goldens (integration/testdata/*.json.golden): `Results` and
each result's `Vulnerabilities` may be null or absent (a clean target), and one package's CVE can be
listed under two targets (two lockfiles): it is one finding.
"""

from __future__ import annotations

from typing import Any

from fleetops.security.choices import Scanner, Severity
from fleetops.security.importers.jsonfile import expect, listed, load
from fleetops.security.parsed import ImportRefused, Item, Report, text

SCHEMA_VERSION = 2
IMAGE_TYPES = ("container_image",)


def parse(data: bytes, filename: str) -> Report:
    document = expect(load(data, filename), dict, filename)
    version = document.get("SchemaVersion")
    if version != SCHEMA_VERSION:
        why = f"SchemaVersion {version!r} is not the {SCHEMA_VERSION} this importer reads"
        raise ImportRefused(filename, "/SchemaVersion", why)
    report = Report(Scanner.TRIVY)
    if document.get("ArtifactType") in IMAGE_TYPES:
        report.image = text(expect(document.get("ArtifactName"), str, filename, "ArtifactName"), 300)
    results = listed(document.get("Results"), filename, "Results")
    for r, result in enumerate(results):
        expect(result, dict, filename, "Results", r)
        found = listed(result.get("Vulnerabilities"), filename, "Results", r, "Vulnerabilities")
        for v, vulnerability in enumerate(found):
            report.add(_item(vulnerability, filename, ("Results", r, "Vulnerabilities", v)))
    return report


def _item(vulnerability: Any, filename: str, at: tuple[object, ...]) -> Item:
    expect(vulnerability, dict, filename, *at)
    check = expect(vulnerability.get("VulnerabilityID"), str, filename, *at, "VulnerabilityID")
    package = expect(vulnerability.get("PkgName"), str, filename, *at, "PkgName")
    severity = vulnerability.get("Severity")
    expect(severity, (str, type(None)), filename, *at, "Severity")
    return Item(
        check_id=text(check, 200),
        package=text(package, 200),
        title=text(vulnerability.get("Title") or check, 500),
        severity=Severity.read(severity),
        installed_version=_version(vulnerability.get("InstalledVersion")),
        fixed_version=_version(vulnerability.get("FixedVersion")),
    )


def _version(value: Any) -> str | None:
    return text(value, 200) if isinstance(value, str) and value else None
