"""Timelines on the ManualClock with the fakes: each policy rung from finding to back in service."""

from __future__ import annotations

from fleetops.remediation import measures
from fleetops.remediation.choices import RunState


def test_xid79_drains_reboots_via_bmc_verifies_and_resumes(bed):
    [run_id] = bed.finding("b000", xid=79)
    bed.play(30)
    assert bed.world.scheduler.state("b000") == "drained"
    assert bed.run(run_id).state is RunState.ACTING
    assert bed.world.resets("b000") == ["GracefulRestart"]
    bed.play(11 * 60)  # the fake BMC powers back on after 10 min
    assert bed.run(run_id).state is RunState.VERIFYING
    bed.play(5 * 60)
    run = bed.run(run_id)
    assert run.state is RunState.RESOLVED and not run.human
    assert bed.world.scheduler.state("b000") == "in_service"
    assert bed.actions_done(run_id) == ["drain", "reboot_node", "verify"]
    mttr = (run.back_in_service_at - run.detected_at).total_seconds()
    assert 10 * 60 < mttr < 15 * 60
    assert run.quarantined_at <= run.drained_at <= run.acted_at <= run.verified_at


def test_application_xid_tells_the_customer_and_touches_no_node(bed):
    [run_id] = bed.finding("a000", xid=13)
    bed.play(30)
    run = bed.run(run_id)
    assert run.state is RunState.RESOLVED and run.back_in_service_at is None
    assert bed.world.scheduler.calls == [] and bed.world.gpu.resets == []
    assert bed.actions_done(run_id) == ["notify_customer"]


def test_xid48_alone_resets_the_gpu_without_draining(bed):
    [run_id] = bed.finding("a001", xid=48, gpu=3)
    bed.play(6 * 60)
    assert bed.world.gpu.resets == [("a001", 3)]
    assert bed.world.scheduler.count("drain") == 0
    assert bed.run(run_id).state is RunState.RESOLVED


def test_xid48_with_a_retirement_failure_drains_first(bed):
    bed.finding("a001", xid=64, gpu=3)  # opens a drain-reset run
    bed.play(6 * 60)
    [second] = bed.finding("a001", xid=48, gpu=3)
    assert bed.run(second).plan == ["drain", "reset_gpu", "verify"]
    assert bed.run(second).rule == "dbe-with-retirement"


def test_nvlink_error_drains_and_contacts_the_supplier(bed):
    [run_id] = bed.finding("b001", xid=145)
    bed.play(60)
    run = bed.run(run_id)
    assert run.state is RunState.ESCALATED and run.ticket
    assert bed.world.scheduler.state("b001") == "drained"
    [(kind, text)] = bed.world.notices.tickets.values()
    assert kind == "supplier" and "b001" in text


def test_xid154_follows_the_driver(bed):
    message = "GPU recovery action changed from 0x0 (None) to 0x2 (Node Reboot Required)"
    [run_id] = bed.finding("b002", xid=154, message=message)
    assert bed.run(run_id).plan == ["drain", "reboot_node", "verify"]


def test_node_silent_reads_power_then_power_cycles(bed):
    [run_id] = bed.finding("b000", check="node_silent", gpu=None)
    bed.play(20 * 60)
    assert bed.world.resets("b000")[0] in ("PowerCycle", "ForceRestart")
    assert bed.actions_done(run_id) == ["check_power", "power_cycle", "verify"]
    assert bed.run(run_id).state is RunState.RESOLVED


def test_uncorrectable_ecc_after_a_reset_goes_to_rma(bed):
    [first] = bed.finding("a002", check="ecc_uncorrectable_volatile", gpu=1)
    bed.play(6 * 60)
    assert bed.run(first).state is RunState.RESOLVED
    [second] = bed.finding("a002", check="ecc_uncorrectable_volatile", gpu=1)
    assert bed.run(second).plan == ["drain", "rma_ticket"]
    bed.play(60)
    assert bed.run(second).state is RunState.ESCALATED
    assert [k for k, _ in bed.world.notices.tickets.values()] == ["rma"]


def test_failed_verification_climbs_the_ladder_to_rma(bed):
    bed.world.verifier.failing.add("a000")
    [run_id] = bed.finding("a000", xid=62)
    bed.play(3 * 3600, step_s=30)
    run = bed.run(run_id)
    assert run.state is RunState.ESCALATED
    done = bed.actions_done(run_id)
    assert done == ["drain", "reset_gpu", "reboot_node", "power_cycle", "rma_ticket"]
    assert run.rung == 3


def test_measures_read_a_window_not_every_run_ever(bed):
    bed.finding("b000", xid=79)
    bed.play(20 * 60)
    bed.clock.advance(31 * 86400)
    with bed.database.transaction() as session:
        assert measures.summary(session)["runs"] == 0
        recent = measures.summary(session, days=60)
    assert recent["runs"] == 1 and recent["actions"]["reboot_node"]["ok"] == 1
