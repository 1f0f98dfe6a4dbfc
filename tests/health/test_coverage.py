"""FSH coverage on a ManualClock: who reported within five minutes, silence → unknown + finding."""

from __future__ import annotations

from fleetops.auth.principal import SYSTEM
from fleetops.health import coverage as coverage_module
from fleetops.health.coverage import coverage, mark_silent, tick
from tests.health.conftest import node_id
from tests.health.reports import body, report

URL = "/api/v1/health/reports"


def _post(client, tokens, *hosts):
    response = client.post(URL, content=body(*(report(h) for h in hosts)), headers=tokens["admin"])
    assert response.status_code == 200, response.text


def test_coverage_per_cluster_and_supplier(client, tokens, fleet, manual_clock):
    _post(client, tokens, "a000", "a001", "a002", "b000")
    manual_clock.advance(240)
    _post(client, tokens, "b001")
    manual_clock.advance(120)  # a00x and b000 now 6 minutes old, b001 2 minutes old
    cover = client.get("/api/v1/health/coverage", headers=tokens["admin"]).json()
    clusters = {c["name"]: (c["reporting"], c["expected"]) for c in cover["clusters"]}
    suppliers = {s["name"]: (s["reporting"], s["expected"]) for s in cover["suppliers"]}
    assert clusters == {"alpha": (0, 3), "beta": (1, 3)} and suppliers == {"acme": (0, 3), "globex": (1, 3)}
    _post(client, tokens, "a000", "a001")
    cover = client.get("/api/v1/health/coverage", headers=tokens["admin"]).json()
    assert {c["name"]: c["share"] for c in cover["clusters"]} == {"alpha": 2 / 3, "beta": 1 / 3}
    assert cover["fleet"]["reporting"] == 3 and cover["fleet"]["expected"] == 6


def test_inactive_clusters_and_rma_nodes_are_out_of_scope(client, tokens, fleet):
    patch = client.patch(
        f"/api/v1/nodes/{node_id(fleet, 'a002')}", json={"state": "rma"}, headers=tokens["admin"]
    )
    with fleet.transaction() as session:
        expected = coverage(session, SYSTEM).clusters["alpha"].expected
    assert expected == (2 if patch.status_code == 200 else 3)


def test_silent_node_becomes_unknown_with_a_finding_and_recovers(client, tokens, fleet, manual_clock):
    _post(client, tokens, "a000", "a001", "a002", "b000", "b001", "b002")
    manual_clock.advance(200)
    _post(client, tokens, "a000", "a001", "a002", "b000", "b001")
    manual_clock.advance(200)  # b002 silent for 400 s, the rest for 200 s
    assert tick(fleet) == 1
    assert tick(fleet) == 0  # already unknown: marked once, one finding
    b002 = client.get(f"/api/v1/health/nodes/{node_id(fleet, 'b002')}", headers=tokens["admin"]).json()
    assert b002["state"] == "unknown" and {g["state"] for g in b002["gpus"]} == {"unknown"}
    [silent] = [f for f in b002["findings"] if f["check"] == "node_silent"]
    assert silent["open"] and silent["severity"] == "warning"
    _post(client, tokens, "b002")
    b002 = client.get(f"/api/v1/health/nodes/{node_id(fleet, 'b002')}", headers=tokens["admin"]).json()
    assert b002["state"] == "healthy"
    assert not [f for f in b002["findings"] if f["check"] == "node_silent" and f["open"]]


def test_a_node_that_never_reported_is_silent_too(fleet, manual_clock):
    with fleet.transaction() as session:
        assert mark_silent(session, manual_clock.now()) == 6
        assert coverage(session, SYSTEM).fleet.share == 0.0


def test_the_worker_marks_a_silent_fleet_in_bounded_steps(fleet, manual_clock, monkeypatch):
    """Each transaction marks at most BATCH nodes, and the steps together mark every one once."""
    steps = []

    def spy(session, at, **kwargs):
        steps.append(mark_silent(session, at, **kwargs))
        return steps[-1]

    monkeypatch.setattr(coverage_module, "BATCH", 4)
    monkeypatch.setattr(coverage_module, "mark_silent", spy)
    assert tick(fleet) == 6 and steps == [4, 2]
    assert tick(fleet) == 0
