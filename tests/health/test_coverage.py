"""FSH coverage on a ManualClock: who reported within five minutes, silence → unknown + finding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fleetops.auth.principal import SYSTEM
from fleetops.db.session import Database
from fleetops.health import coverage as coverage_module
from fleetops.health.choices import HealthState
from fleetops.health.coverage import coverage, mark_silent, tick
from fleetops.health.ingest import ingest
from fleetops.health.models import NodeHealth
from fleetops.inventory.models import Node
from tests.health.conftest import node_id
from tests.health.reports import body, report

URL = "/api/v1/health/reports"
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


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


def _unknown(database) -> set[str]:
    with database.transaction() as session:
        query = (
            select(Node.hostname)
            .join(NodeHealth, NodeHealth.node_id == Node.id)
            .where(NodeHealth.state == HealthState.UNKNOWN.value)
        )
        return set(session.scalars(query))


def _listen(database, sweeper, clock, until_s: float, start_s: float, reporting: set[str]) -> list[int]:
    """Agents report every 30 s, the worker sweeps every 15 s, from `start_s` to `until_s` (inclusive)."""
    marked = []
    for second in range(int(start_s), int(until_s) + 1, 15):
        clock.set(T0 + timedelta(seconds=second))
        if second % 30 == 0 and reporting:
            with database.transaction() as session:
                ingest(session, SYSTEM, body(*(report(h) for h in sorted(reporting))))
        marked.append(tick(sweeper))
    return marked


def test_silence_while_the_control_plane_was_down_does_not_count(fleet, manual_clock):
    """A 20-minute outage of the control plane: when it is back, every agent's last report is 20 minutes
    old, and before the sweep remembered its downtime it marked the whole fleet silent at once (and
    remediation's fleet breaker tripped). A node that really stopped before the outage is still caught:
    a002 long before (already unknown), b002 a minute before (once it missed 5 minutes of listening)."""
    everyone = {"a000", "a001", "a002", "b000", "b001", "b002"}
    live = everyone - {"a002", "b002"}
    manual_clock.set(T0)
    with fleet.transaction() as session:
        ingest(session, SYSTEM, body(*(report(h) for h in sorted(everyone))))
    _listen(fleet, fleet, manual_clock, 540, 15, live | {"b002"})  # a002 stopped at 0 s
    assert _unknown(fleet) == {"a002"}
    _listen(fleet, fleet, manual_clock, 600, 555, live)  # b002 stopped at 540 s; all goes down after 600 s
    restarted = Database(fleet.url)  # a new process, 20 minutes later
    try:
        manual_clock.set(T0 + timedelta(minutes=30))
        assert tick(restarted) == 0 and _unknown(fleet) == {"a002"}
        # the agents resend 30 s later; b002 missed 60 s of listening before the outage, 240 s are left
        marked = _listen(fleet, restarted, manual_clock, 1800 + 600, 1815, live)
        assert _unknown(fleet) == {"a002", "b002"} and sum(marked) == 1
        assert marked.index(1) == (2055 - 1815) // 15  # b002 at 2,055 s, not before
    finally:
        restarted.dispose()


def test_a_process_that_sweeps_rarely_is_still_listening(fleet, manual_clock):
    """Only a restart counts the time since the last sweep as downtime: a worker busy for minutes still
    had the ingest running, and a node that stopped reporting then is marked at the first sweep."""
    manual_clock.set(T0)
    with fleet.transaction() as session:
        ingest(session, SYSTEM, body(*(report(h) for h in ("a000", "a001", "a002", "b000", "b001", "b002"))))
    assert tick(fleet) == 0
    manual_clock.set(T0 + timedelta(seconds=310))
    assert tick(fleet) == 6


def _beat(database, clock, at_s: float) -> None:
    clock.set(T0 + timedelta(seconds=at_s))
    with database.transaction() as session:
        coverage_module.heard(session, clock.now())


def test_a_worker_sweeping_while_the_api_is_down_marks_no_one(fleet, manual_clock):
    """The API down 20 minutes while a separate worker kept sweeping: before the API's heartbeat the
    sweep could not tell it from a fleet-wide silence and marked every node (the fleet breaker then
    paged). Now nothing is marked while nobody hears the agents, each gets a window to resend once the
    API is back, and a node that stopped a minute before the outage is still caught."""
    everyone = {"a000", "a001", "a002", "b000", "b001", "b002"}
    live = everyone - {"b002"}
    manual_clock.set(T0)
    with fleet.transaction() as session:
        ingest(session, SYSTEM, body(*(report(h) for h in sorted(everyone))))
    for second in range(0, 601, 10):  # the API beats until it goes down at 600 s
        _beat(fleet, manual_clock, second)
    _listen(fleet, fleet, manual_clock, 540, 15, everyone)
    _listen(fleet, fleet, manual_clock, 600, 555, live)  # b002 stopped at 540 s
    assert sum(_listen(fleet, fleet, manual_clock, 1795, 615, set())) == 0  # no reports, no beats
    assert _unknown(fleet) == set()
    for second in range(1800, 1800 + 601, 10):  # back 30 minutes after the last beat
        _beat(fleet, manual_clock, second)
        if second % 15 == 0:
            if second % 30 == 0 and second > 1800:
                with fleet.transaction() as session:
                    ingest(session, SYSTEM, body(*(report(h) for h in sorted(live))))
            tick(fleet)
    assert _unknown(fleet) == {"b002"}


def test_a_partition_with_the_api_up_is_the_nodes_silence(fleet, manual_clock):
    """The API beats and no report arrives: the silence is the nodes' (a partition) and is marked, for the
    breaker and the fleet incident to take."""
    manual_clock.set(T0)
    with fleet.transaction() as session:
        ingest(session, SYSTEM, body(*(report(h) for h in ("a000", "a001", "a002", "b000", "b001", "b002"))))
    for second in range(0, 401, 10):
        _beat(fleet, manual_clock, second)
    manual_clock.set(T0 + timedelta(seconds=400))
    assert tick(fleet) == 6
