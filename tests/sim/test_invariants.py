"""Each soak invariant catches a violation planted in hand-made records, and passes them mended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fleetops.remediation.choices import FaultClass
from fleetops.sim import invariants
from fleetops.sim.control_plane import Receipt, digest
from fleetops.sim.evidence import Evidence, Ticket
from fleetops.sim.faults import LLAMA3_MIX, Fault
from fleetops.sim.scenario import Cure, TrueFault

T0 = datetime(2026, 3, 2, tzinfo=UTC)
HBM = next(kind for kind in LLAMA3_MIX if kind.name == "gpu_hbm3")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_run(run_id: int, **overrides: Any) -> dict[str, Any]:
    run = {
        "id": run_id,
        "node_id": 1,
        "hostname": "n1",
        "cluster_id": 1,
        "supplier_id": 1,
        "gpu_index": 0,
        "check": "xid",
        "xid": 79,
        "rule": "catalog:79",
        "state": "resolved",
        "plan": ["drain", "reboot_node", "verify"],
        "rung": 0,
        "ticket": None,
        "human": False,
        "drained_by_us": True,
        "fault_class": FaultClass.HARDWARE,
        "last_error": None,
        "detected_at": at(0),
        "quarantined_at": at(0),
        "drained_at": at(0),
        "acted_at": at(1),
        "verified_at": at(10),
        "finished_at": at(10),
        "back_in_service_at": at(10),
        "created_at": at(0),
    }
    return run | overrides


def make_evidence(now_minutes: float = 600, **fields: Any) -> Evidence:
    evidence = Evidence(start=T0, now=at(now_minutes), **fields)
    evidence.nodes = evidence.nodes or {
        i: {"hostname": f"n{i}", "state": "ready", "cluster_id": 1, "rack": "r1", "supplier_id": 1}
        for i in range(1, 11)
    }
    evidence.baseline = evidence.baseline or {i: "ready" for i in evidence.nodes}
    for node in evidence.nodes.values():
        evidence.scope_sizes[("cluster", node["cluster_id"])] += 1
        evidence.scope_sizes[("supplier", node["supplier_id"])] += 1
    return evidence


def row_remap_failure(hosts: tuple[str, ...] = ("n1",), ended: datetime | None = None) -> TrueFault:
    return TrueFault(1, "gpu_hbm3", Fault(HBM, 0, 0, at(0), 0), hosts, Cure.PART, ended_at=ended)


def test_one_ticket_per_fault_catches_two_open_at_once_not_one_after_the_other():
    both_open = [
        Ticket("RMA-1", "remediation", frozenset({"n1"}), at(5), None),
        Ticket("fleetops-incident-3", "alerts", frozenset({"n1"}), at(6), None),
    ]
    found = invariants.one_ticket_per_fault(make_evidence(truth=[row_remap_failure()], tickets=both_open))
    assert [v.key for v in found] == ["fault 1"]
    assert "2 open at once" in found[0].detail
    in_turn = [
        Ticket("RMA-1", "remediation", frozenset({"n1"}), at(5), at(60)),
        Ticket("RMA-2", "remediation", frozenset({"n1"}), at(90), None),
        Ticket("RMA-3", "remediation", frozenset({"n2"}), at(6), None),  # another host's
    ]
    assert invariants.one_ticket_per_fault(make_evidence(truth=[row_remap_failure()], tickets=in_turn)) == []


def _pd(key: str, action: str, minutes: float) -> Receipt:
    return Receipt("pagerduty", key, action, digest({"a": action, "m": minutes}), at(minutes))


def test_one_page_per_p0_counts_pagerduty_incidents_not_repeats():
    incidents = {
        1: {"priority": "P0", "scope": "cluster", "labels": {}, "cluster_id": 1},
        2: {"priority": "P2", "scope": "node", "labels": {"node": "n2"}, "cluster_id": 1},
    }
    repeats = [_pd("fleetops-incident-1", "trigger", 0), _pd("fleetops-incident-1", "trigger", 60)]
    assert invariants.one_page_per_p0(make_evidence(incidents=incidents, receipts=repeats)) == []
    paged_again = [
        *repeats,
        _pd("fleetops-incident-1", "resolve", 70),
        _pd("fleetops-incident-1", "trigger", 80),
    ]
    found = invariants.one_page_per_p0(make_evidence(incidents=incidents, receipts=paged_again))
    assert [v.key for v in found] == ["incident 1"]
    not_p0 = [_pd("fleetops-incident-2", "trigger", 5)]
    found = invariants.one_page_per_p0(make_evidence(incidents=incidents, receipts=not_p0))
    assert len(found) == 1 and "P2 incident" in found[0].detail


def test_ladder_caps_catch_a_sixth_run_in_a_week_and_a_fifth_same_xid_in_a_day():
    five = [make_run(i, created_at=at(i * 600), detected_at=at(i * 600), xid=None) for i in range(1, 6)]
    assert invariants.ladder_caps(make_evidence(now_minutes=10_000, runs=five)) == []
    sixth = make_run(6, created_at=at(3700), detected_at=at(3700), xid=None)
    found = invariants.ladder_caps(make_evidence(now_minutes=10_000, runs=[*five, sixth]))
    assert [v.key for v in found] == ["run 6 node cap"]
    capped = sixth | {"rule": "cap:catalog:79"}
    assert invariants.ladder_caps(make_evidence(now_minutes=10_000, runs=[*five, capped])) == []

    runs = [make_run(i, detected_at=at(i * 60), created_at=at(i * 60)) for i in range(1, 6)]
    faults = [
        {"node_id": 1, "gpu_index": 0, "check": "xid", "xid": 79, "seen_at": at(i * 60), "run_id": i}
        for i in range(1, 6)
    ]
    found = invariants.ladder_caps(make_evidence(runs=runs, run_faults=faults))
    assert [v.key for v in found] == ["run 5 xid cap"]
    other_gpu = [f | {"gpu_index": 1} if f["run_id"] < 3 else f for f in faults]
    assert invariants.ladder_caps(make_evidence(runs=runs, run_faults=other_gpu)) == []

    past_the_top = make_run(9, node_id=2, hostname="n2", rung=4)
    assert [v.key for v in invariants.ladder_caps(make_evidence(runs=[past_the_top]))] == ["run 9 rung"]


def test_every_finding_ends_catches_stuck_runs_ownerless_escalations_and_orphan_findings():
    stuck = make_run(1, state="acting", back_in_service_at=None, detected_at=at(0))
    young = make_run(2, node_id=2, hostname="n2", state="acting", detected_at=at(500))
    nobody = make_run(3, node_id=3, hostname="n3", state="escalated", last_error=None)
    person = make_run(
        4, node_id=4, hostname="n4", state="escalated", last_error="verify failed, no rung left"
    )
    supplier = make_run(5, node_id=5, hostname="n5", state="escalated", ticket="RMA-1")
    repaired = make_run(6, node_id=8, hostname="n8", state="verifying", ticket="RMA-2", detected_at=at(0))
    evidence = make_evidence(
        runs=[stuck, young, nobody, person, supplier, repaired],
        taken_back={6: at(590)},  # the supplier closed its ticket: verifying their repair is not stuck
        remediation_pages=[("fleetops-remediation-4", at(100))],
        open_findings=[
            {
                "id": 7,
                "node_id": 6,
                "check": "thermal_throttle",
                "xid": None,
                "gpu_index": 0,
                "severity": "warning",
                "opened_at": at(0),
            },
            {
                "id": 8,
                "node_id": 7,
                "check": "thermal_throttle",
                "xid": None,
                "gpu_index": 0,
                "severity": "warning",
                "opened_at": at(500),
            },
            {
                "id": 9,
                "node_id": 5,
                "check": "row_remap_failure",
                "xid": None,
                "gpu_index": 0,
                "severity": "critical",
                "opened_at": at(0),
            },
        ],
    )
    done = make_run(7, node_id=9, hostname="n9", check="xid", xid=79, gpu_index=0)
    evidence.runs.append(done)
    evidence.run_faults.append({"node_id": 9, "check": "xid", "xid": 79, "gpu_index": 0, "run_id": 7})
    for finding_id, check, xid in ((10, "xid", 79), (11, "nvlink_down", None)):
        evidence.open_findings.append(
            {
                "id": finding_id,
                "node_id": 9,
                "check": check,
                "xid": xid,
                "gpu_index": 0,
                "severity": "critical",
                "opened_at": at(0),
            }
        )
    found = {v.key for v in invariants.every_finding_ends(evidence)}
    assert found == {"run 1 stuck", "run 3 no owner", "finding 7", "finding 11"}  # 10: its run resolved
    incident = {"status": "open", "disposition": "pending", "scope": "node", "labels": {"node": "n6"}}
    evidence.incidents = {11: incident | {"cluster_id": 1, "priority": "P2", "first_notified_at": None}}
    assert "finding 7" in {v.key for v in invariants.every_finding_ends(evidence)}  # nobody told yet
    evidence.incidents[11]["first_notified_at"] = at(1)  # told once; pending again after a change
    assert "finding 7" not in {v.key for v in invariants.every_finding_ends(evidence)}


def test_node_state_agrees_with_the_runs_and_the_scheduler():
    evidence = make_evidence(
        runs=[
            make_run(1, node_id=1, hostname="n1", state="acting", back_in_service_at=None),
            make_run(2, node_id=2, hostname="n2"),
        ],
        drained={"n1"},
    )
    evidence.nodes[1]["state"] = "repair"
    assert invariants.node_state_agrees(evidence) == []
    evidence.nodes[1]["state"] = "ready"  # held by its run, yet ready
    evidence.nodes[2]["state"] = "repair"  # returned by its run, yet not ready
    evidence.nodes[3]["state"] = "cordoned"  # no run touched it, yet it moved
    evidence.drained.add("n4")  # drained with no run holding it
    found = {v.key.split(" ", 2)[1] for v in invariants.node_state_agrees(evidence)}
    assert found == {"1", "2", "3", "4"}


def _row(row_id: int, payload: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    row = {
        "id": row_id,
        "incident_id": 1,
        "kind": "pagerduty",
        "dedup_key": "fleetops-incident-1",
        "action": "trigger",
        "payload": payload,
        "status": "delivered",
        "attempts": 1,
        "next_attempt_at": at(0),
        "created_at": at(0),
        "last_error": None,
    }
    return row | overrides


def test_outbox_at_least_once_catches_lost_stuck_failed_and_doubled_messages():
    page = {"event_action": "trigger", "dedup_key": "fleetops-incident-1"}
    once = [Receipt("pagerduty", "fleetops-incident-1", "trigger", digest(page), at(0))]
    assert invariants.outbox_at_least_once(make_evidence(outbox=[_row(1, page)], receipts=once)) == []
    lost = invariants.outbox_at_least_once(make_evidence(outbox=[_row(1, page)], receipts=[]))
    assert [v.key.split()[0] for v in lost] == ["lost"]
    twice = make_evidence(outbox=[_row(1, page)], receipts=once * 2)
    assert [v.key for v in invariants.outbox_at_least_once(twice)] == ["doubled"]
    twice.allowed_duplicates = 1  # a worker killed between the send and writing its outcome
    assert invariants.outbox_at_least_once(twice) == []
    stuck = _row(2, {"x": 1}, status="pending", attempts=0, next_attempt_at=at(0))
    failed = _row(3, {"x": 2}, status="failed", attempts=1, last_error="pagerduty answered 400")
    found = invariants.outbox_at_least_once(make_evidence(outbox=[stuck, failed]))
    assert {v.key for v in found} == {"outbox 2", "outbox 3"}
    jira = make_evidence(outbox=[_row(4, {"x": 3}, kind="jira", dedup_key="fleetops-incident-4")])
    assert {v.key for v in invariants.outbox_at_least_once(jira)} == {"jira fleetops-incident-4"}
    jira.jira_labels["fleetops-incident-4"] = 2
    assert {v.key for v in invariants.outbox_at_least_once(jira)} == {"jira fleetops-incident-4 twice"}


def test_capacity_floor_catches_more_quarantines_in_a_window_than_the_breaker_allows():
    # Ten nodes in the cluster: 10 % allows one node quarantined per hour.
    first = make_run(1, node_id=1, hostname="n1", quarantined_at=at(0))
    later = make_run(2, node_id=2, hostname="n2", quarantined_at=at(90))
    assert invariants.capacity_floor(make_evidence(runs=[first, later])) == []
    soon = make_run(3, node_id=3, hostname="n3", quarantined_at=at(30))
    found = invariants.capacity_floor(make_evidence(runs=[first, later, soon]))
    assert {v.key.split(" ")[0] for v in found} == {"cluster", "supplier"}
    cancelled = soon | {"state": "cancelled"}
    assert invariants.capacity_floor(make_evidence(runs=[first, later, cancelled])) == []
