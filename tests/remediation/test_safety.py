"""Safety timelines: breakers, the kill switch, dry-run, maintenance windows, customer toggle, caps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM, Principal
from fleetops.errors import Forbidden
from fleetops.flow import Finding
from fleetops.inventory.models import Cluster
from fleetops.remediation import service
from fleetops.remediation.choices import RunState
from fleetops.remediation.intake import intake
from fleetops.remediation.safety import Limits
from fleetops.remediation.schemas import MaintenanceWindow, SettingsUpdate
from fleetops.wire import FaultOwner, Severity

from .conftest import make_bed


def _cluster_id(db, name: str) -> int:
    with db.transaction() as session:
        return session.scalar(select(Cluster.id).where(Cluster.name == name))


def _settings(db, cluster: str, **values) -> None:
    with db.transaction() as session:
        service.update_settings(session, SYSTEM, _cluster_id(db, cluster), SettingsUpdate(**values))


def test_breaker_trips_pages_and_only_a_person_resets_it(bed):
    first = bed.finding("a000", xid=79)[0]
    second = bed.finding("a001", xid=79)[0]
    bed.play(60)
    assert bed.run(first).state is not RunState.PENDING
    assert bed.run(second).state is RunState.PENDING  # a 2nd of 3 nodes would exceed 10%
    assert any("circuit breaker" in p for p in bed.world.notices.pages.values())
    bed.play(2 * 3600, step_s=60)  # the window passes: still open, nobody reset it
    assert bed.run(second).state is RunState.PENDING
    with bed.database.transaction() as session:
        [breaker] = service.breakers(session)
        assert breaker.scope == "cluster" and breaker.state.value == "open"
        with pytest.raises(Forbidden):
            service.reset_breaker(session, Principal(Role.VIEWER, "v"), "cluster", breaker.subject_id)
        service.reset_breaker(session, SYSTEM, "cluster", breaker.subject_id)
    bed.play(60)
    assert bed.run(second).state is not RunState.PENDING


def test_kill_switch_stops_everything_until_turned_off(bed):
    with bed.database.transaction() as session:
        service.set_switch(session, SYSTEM, "kill", True, "incident 42")
    [run_id] = bed.finding("b000", xid=79)
    bed.play(600)
    assert bed.run(run_id).state is RunState.PENDING
    assert bed.world.scheduler.calls == []
    with bed.database.transaction() as session:
        service.set_switch(session, SYSTEM, "kill", False)
    bed.play(120)
    assert bed.world.scheduler.count("drain", "b000") == 1


def test_kill_switch_freezes_a_run_mid_way(bed):
    [run_id] = bed.finding("b000", xid=79)
    bed.play(30)
    assert bed.run(run_id).state is RunState.ACTING
    with bed.database.transaction() as session:
        service.set_switch(session, SYSTEM, "kill", True)
    bed.play(20 * 60)
    assert bed.run(run_id).state is RunState.ACTING
    assert bed.world.verifier.started == []


def test_dry_run_records_what_would_have_been_done(bed):
    with bed.database.transaction() as session:
        service.set_switch(session, SYSTEM, "dry_run", True)
    [run_id] = bed.finding("b001", xid=62)
    bed.play(60)
    run = bed.run(run_id)
    assert run.state is RunState.RESOLVED and run.dry_run
    assert bed.world.scheduler.calls == [] and bed.world.gpu.resets == []
    would = [s.action for s in bed.steps(run_id) if s.outcome == "dry_run" and s.from_state == s.to_state]
    assert would == ["drain", "reset_gpu", "verify"]


def test_maintenance_window_defers_until_it_ends(bed):
    now = bed.clock.now()
    _settings(
        bed.database,
        "beta",
        maintenance_windows=[MaintenanceWindow(start=now - timedelta(hours=1), end=now + timedelta(hours=2))],
    )
    [run_id] = bed.finding("b000", xid=79)
    bed.play(3600, step_s=60)
    assert bed.run(run_id).state is RunState.PENDING and bed.world.scheduler.calls == []
    assert "maintenance window" in (bed.run(run_id).last_error or "")
    bed.play(3700, step_s=60)
    assert bed.world.scheduler.count("drain", "b000") == 1


def test_customer_toggle_off_means_no_action(bed):
    _settings(bed.database, "alpha", enabled=False)
    [run_id] = bed.finding("a000", xid=79)
    bed.play(60)
    run = bed.run(run_id)
    assert run.state is RunState.CANCELLED and "customer setting" in bed.steps(run_id)[-1].detail
    assert bed.world.scheduler.calls == [] and bed.world.bmcs == {}


def test_disallowed_action_goes_to_a_person(bed):
    _settings(bed.database, "alpha", allowed_actions=["drain", "reset_gpu", "verify"])
    [run_id] = bed.finding("a000", xid=79)
    bed.play(60)
    assert bed.run(run_id).state is RunState.ESCALATED and bed.world.scheduler.calls == []
    assert "reboot_node" in bed.run(run_id).last_error


def test_approval_required_waits_for_a_person(bed):
    _settings(bed.database, "beta", approval_required=["reboot_node"])
    [run_id] = bed.finding("b002", xid=79)
    bed.play(600)
    assert bed.world.resets("b002") == [] and bed.world.scheduler.count("drain") == 1
    with bed.database.transaction() as session:
        service.approve(session, SYSTEM, run_id)
    bed.play(60)
    assert bed.world.resets("b002") == ["GracefulRestart"]
    assert any(s.approver == SYSTEM.actor for s in bed.steps(run_id))


def test_same_xid_five_times_on_one_gpu_goes_straight_to_the_supplier(bed):
    runs = []
    for _ in range(5):
        runs += bed.finding("b001", xid=62, gpu=2)
        bed.play(15 * 60, step_s=30)
    assert [bed.run(r).plan for r in runs[:4]] == [["drain", "reset_gpu", "verify"]] * 4
    assert bed.run(runs[4]).plan == ["drain", "rma_ticket"]
    assert bed.run(runs[4]).rule.startswith("cap:")


def test_node_remediated_five_times_in_a_week_goes_to_the_supplier(bed):
    runs = []
    for xid in (62, 95, 109, 119, 120, 140):
        runs += bed.finding("b002", xid=xid, gpu=xid % 8)
        bed.play(15 * 60, step_s=30)
        bed.clock.advance(86400)
    assert bed.run(runs[5]).plan == ["drain", "rma_ticket"]
    assert "5 times within 7 days" in bed.run(runs[5]).reason


def test_reboot_supersedes_a_pending_reset(fleet, manual_clock):
    bed = make_bed(fleet, manual_clock)
    _settings(fleet, "beta", approval_required=["reset_gpu"])  # keeps the reset pending
    [run_id] = bed.finding("b000", xid=62)
    bed.play(60)
    assert bed.run(run_id).plan == ["drain", "reset_gpu", "verify"]
    [same] = bed.finding("b000", xid=79)
    assert same == run_id
    assert bed.run(run_id).plan == ["drain", "reboot_node", "verify"]
    bed.play(15 * 60)
    assert bed.world.gpu.resets == [] and bed.world.resets("b000") == ["GracefulRestart"]
    assert bed.run(run_id).state is RunState.RESOLVED
    bed.engine.close()


def test_resightings_of_an_open_fault_neither_pile_up_nor_trip_the_cap(bed):
    [run_id] = bed.finding("b001", xid=62, gpu=2)
    for _ in range(6):  # health re-reports the open finding on every agent report
        bed.clock.advance(10)
        assert bed.finding("b001", xid=62, gpu=2) == []
    run = bed.run(run_id)
    assert run.findings == 1 and run.plan == ["drain", "reset_gpu", "verify"]


def test_a_fleet_wide_silence_starts_no_run_and_pages_once(bed):
    """The breaker decides before runs exist: every node of every cluster silent at once is one cause
    above the clusters, one fleet breaker, one page and one reset for a person."""
    hosts = ["a000", "a001", "a002", "b000", "b001", "b002"]
    silent = [
        Finding(h, "node_silent", Severity.CRITICAL, FaultOwner.UNKNOWN, bed.clock.now(), "no report")
        for h in hosts
    ]
    with bed.database.transaction() as session:
        result = service.receive_findings(session, silent)
        assert result.created == [] and result.merged == []
        [held] = [line for line in result.ignored if line.startswith("held back")]
        assert "6 nodes in 2 clusters would be remediated at once" in held
        [breaker] = service.breakers(session)
    assert (breaker.scope, breaker.subject_id) == ("fleet", 0)
    bed.play(60)
    assert [k for k in bed.world.notices.pages if k.startswith("breaker-")] == ["breaker-fleet-0"]
    assert bed.world.scheduler.calls == [] and bed.runs_of("a000") == []
    lone = Finding(
        "a000", "xid", Severity.CRITICAL, FaultOwner.HARDWARE, bed.clock.now(), "", 0, xid=79
    )
    with bed.database.transaction() as session:
        assert service.receive_findings(session, [lone]).created == []  # the fleet breaker holds every scope
        service.reset_breaker(session, SYSTEM, "fleet", 0)
        assert len(service.receive_findings(session, [lone]).created) == 1


def test_a_lone_silent_node_still_gets_its_run(bed):
    lone = Finding("a000", "node_silent", Severity.CRITICAL, FaultOwner.UNKNOWN, bed.clock.now(), "")
    with bed.database.transaction() as session:
        assert len(service.receive_findings(session, [lone]).created) == 1
        assert service.breakers(session) == []


def test_a_rack_gone_silent_is_one_cause_not_a_repair_per_node(bed):
    """A ToR switch or the rack's power: the rack incident's owner gets it, no node is power-cycled."""
    limits = Limits(rack_min_nodes=3, breaker_share=1.0)  # no breaker in the way: the rack rule alone
    now = bed.clock.now()
    rack = [
        Finding(h, "node_silent", Severity.CRITICAL, FaultOwner.UNKNOWN, now, "")
        for h in ("b000", "b001", "b002")
    ]
    other = Finding("a000", "node_silent", Severity.CRITICAL, FaultOwner.UNKNOWN, now, "")
    with bed.database.transaction() as session:
        result = intake(session, [*rack, other], limits=limits)
    assert len(result.created) == 1 and bed.runs_of("a000") and not bed.runs_of("b000")
    assert [line for line in result.ignored if "rack" in line] == [
        "held back: 3 nodes of rack aus1/r01 report node_silent at once: a rack-level cause for the rack "
        "incident's owner, not a repair per node"
    ]
    with bed.database.transaction() as session:
        assert service.breakers(session) == []
