"""The SLA measure at its edges, to the microsecond, on both databases: fixed exactly at day 7 (Critical)
or day 30 (High) is within; a microsecond later is not; open at the due instant is within, then overdue."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from fleetops.auth.principal import SYSTEM
from fleetops.clock import ManualClock
from fleetops.db.session import Database
from fleetops.security.choices import Severity
from fleetops.security.measures import within_sla
from tests.security.scans import post_scan, trivy

MICROSECOND = 1e-6


def share(database: Database, severity: Severity, by: str | None = None) -> list[tuple[str, int, int]]:
    with database.transaction() as session:
        return [(g["name"], g["within"], g["total"]) for g in within_sla(session, SYSTEM, severity, by)]


def test_criticals_at_day_7_and_highs_at_day_30(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    op = tokens["operator"]

    def scan(host: str, *found: tuple[str, str, str]) -> None:
        answer = post_scan(
            client, op, "trivy", f"{host}-{manual_clock.now().isoformat()}.json", trivy(*found), host=host
        )
        assert answer.status_code == 201, answer.text

    start = manual_clock.now()
    scan("a000", ("CVE-C1", "openssl", "CRITICAL"), ("CVE-H1", "curl", "HIGH"))
    scan("a001", ("CVE-C2", "openssl", "CRITICAL"), ("CVE-H2", "curl", "HIGH"))
    scan("b000", ("CVE-C3", "openssl", "CRITICAL"))

    manual_clock.advance(timedelta(days=7).total_seconds())
    assert share(fleet, Severity.CRITICAL) == [("fleet", 3, 3)]  # open at the due instant: not yet late
    scan("a000", ("CVE-H1", "curl", "HIGH"))  # C1 fixed exactly at its due time
    manual_clock.advance(MICROSECOND)
    scan("a001", ("CVE-H2", "curl", "HIGH"))  # C2 fixed a microsecond late
    assert manual_clock.now() - start == timedelta(days=7, microseconds=1)
    assert share(fleet, Severity.CRITICAL) == [("fleet", 1, 3)]  # C3 is open and overdue
    assert sorted(share(fleet, Severity.CRITICAL, "cluster")) == [("alpha", 1, 2), ("beta", 0, 1)]
    assert sorted(share(fleet, Severity.CRITICAL, "supplier")) == [("acme", 1, 2), ("globex", 0, 1)]

    manual_clock.advance(timedelta(days=23).total_seconds() - MICROSECOND)
    assert manual_clock.now() - start == timedelta(days=30)
    scan("a000")  # H1 fixed exactly at day 30
    assert share(fleet, Severity.HIGH) == [("fleet", 2, 2)]  # H2 still open, due this very instant
    manual_clock.advance(MICROSECOND)
    assert share(fleet, Severity.HIGH) == [("fleet", 1, 2)]


def test_a_running_acceptance_leaves_the_measure_and_an_expired_one_counts(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    post_scan(client, tokens["operator"], "trivy", "t.json", trivy(("CVE-1", "x", "CRITICAL")), host="a000")
    finding = client.get("/api/v1/security/findings", headers=tokens["viewer"]).json()["items"][0]
    until = (manual_clock.now() + timedelta(days=3)).isoformat()
    body = {"until": until, "reason": "vendor patch pending"}
    client.post(f"/api/v1/security/findings/{finding['id']}/accept", json=body, headers=tokens["operator"])
    assert share(fleet, Severity.CRITICAL) == [("fleet", 0, 0)]
    manual_clock.advance(timedelta(days=8).total_seconds())
    assert share(fleet, Severity.CRITICAL) == [("fleet", 0, 1)]
    dashboard = client.get("/api/v1/security/dashboard", headers=tokens["viewer"]).json()
    assert dashboard["overdue"] == 1 and dashboard["open_by_severity"]["critical"] == 1
