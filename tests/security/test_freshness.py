"""A node in service with no scan for 24 h is itself a finding, on the SLA clock; its next scan fixes it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fleetops.clock import ManualClock
from fleetops.db.session import Database
from fleetops.security import freshness
from tests.security.scans import post_scan, trivy

HOUR = 3600.0


def stale(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    params = {"check": freshness.STALE}
    items = client.get("/api/v1/security/findings", params=params, headers=headers).json()["items"]
    return {f["asset"]: f["status"] for f in items}


def test_unscanned_nodes_become_findings_and_a_scan_fixes_them(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    op, viewer = tokens["operator"], tokens["viewer"]
    post_scan(client, op, "trivy", "a000.json", trivy(("CVE-1", "x", "LOW")), host="a000")
    manual_clock.advance(23 * HOUR)
    assert freshness.tick(fleet) == 5  # every node but a000, never scanned
    assert set(stale(client, viewer)) == {"a001", "a002", "b000", "b001", "b002"}
    manual_clock.advance(2 * HOUR)
    assert freshness.tick(fleet) == 1  # a000's scan is now 25 h old
    assert freshness.tick(fleet) == 0  # and a second sweep changes nothing
    post_scan(client, op, "trivy", "a000-2.json", trivy(("CVE-1", "x", "LOW")), host="a000")
    assert stale(client, viewer)["a000"] == "fixed"
    rows = {
        r["hostname"]: r["stale"] for r in client.get("/api/v1/security/freshness", headers=viewer).json()
    }
    assert rows["a000"] is False and rows["b000"] is True
    assert set(stale(client, tokens["initech"])) == {"a000", "a001", "a002"}
    manual_clock.advance(25 * HOUR)
    assert freshness.tick(fleet) == 1  # a000 reopened
    reopened = client.get(
        "/api/v1/security/findings", params={"node": "a000", "check": freshness.STALE}, headers=viewer
    )
    assert reopened.json()["items"][0]["reopened"] == 1


def test_a_fleet_never_scanned_is_swept_in_small_transactions(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], monkeypatch
) -> None:
    """A fleet freshly imported: every node stale at once, opened a batch per transaction (so agents'
    reports get SQLite's write lock in between), each node once however the batches fall."""
    monkeypatch.setattr(freshness, "BATCH", 2)
    assert freshness.tick(fleet) == 6
    assert freshness.tick(fleet) == 0
    assert set(stale(client, tokens["viewer"])) == {"a000", "a001", "a002", "b000", "b001", "b002"}


def test_a_scan_that_lands_between_batches_keeps_its_node_fresh(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], monkeypatch
) -> None:
    """The sweep reads its to-do list once; each batch is judged again as it is written, so a node whose
    scan was accepted after the read gets no staleness finding."""
    monkeypatch.setattr(freshness, "BATCH", 2)
    op = tokens["operator"]
    landed: list[str] = []

    def scan_lands() -> None:  # between the first batch and the second
        if not landed:
            landed.append("b002")
            post_scan(client, op, "trivy", "b002.json", trivy(("CVE-1", "x", "LOW")), host="b002")

    monkeypatch.setattr(fleet, "give_way", scan_lands)
    assert freshness.tick(fleet) == 5
    assert set(stale(client, tokens["viewer"])) == {"a000", "a001", "a002", "b000", "b001"}
