"""One life per fault: a GPU that stays broken gets one run and one ticket until the supplier repairs it.

The live demo showed the loop this guards against: health re-reports an open condition on every agent
report, and an escalated run used to be terminal, so every re-report opened a new run and a new RMA.
"""

from __future__ import annotations

from fleetops.auth.principal import SYSTEM
from fleetops.remediation import service
from fleetops.remediation.choices import RunState


def _broken_for(bed, hostname: str, minutes: int, check: str = "row_remap_failure") -> list[int]:
    """The agent reports every 30 s; health re-reports the open condition each time."""
    runs = set()
    for _ in range(minutes * 2):
        runs.update(bed.finding(hostname, check=check, gpu=2))
        bed.play(30, step_s=30)
    return sorted(runs)


def test_a_gpu_that_stays_broken_gets_one_run_and_one_ticket(bed):
    runs = _broken_for(bed, "a002", minutes=10)
    assert len(runs) == 1
    run = bed.run(runs[0])
    assert run.state is RunState.ESCALATED and run.ticket
    assert [host for _, host, _ in bed.world.notices.opened] == ["a002"]
    assert run.last_seen_at > run.detected_at  # the re-reports are evidence on the run
    assert not run.human  # handed to the supplier, not to our on-call


def test_the_supplier_closing_the_ticket_is_verified_and_returns_the_node(bed):
    [run_id] = _broken_for(bed, "a002", minutes=2)
    ticket = bed.run(run_id).ticket
    bed.play(3600, step_s=300)
    assert bed.run(run_id).state is RunState.ESCALATED  # still with the supplier: nothing of ours to do
    bed.world.notices.close(ticket)
    bed.play(1800, step_s=60)
    run = bed.run(run_id)
    assert run.state is RunState.RESOLVED and not run.human
    assert bed.world.scheduler.state("a002") == "in_service"
    assert run.back_in_service_at > run.acted_at > run.drained_at
    assert len(bed.world.notices.opened) == 1


def test_a_repair_that_did_not_hold_goes_back_on_the_same_ticket(bed):
    [run_id] = _broken_for(bed, "a002", minutes=2)
    ticket = bed.run(run_id).ticket
    bed.world.verifier.fail_once.add("a002")
    bed.world.notices.close(ticket)
    bed.play(1800, step_s=60)
    run = bed.run(run_id)
    assert run.state is RunState.ESCALATED and run.ticket == ticket
    assert [t for t, _ in bed.world.notices.reopened] == [ticket]
    assert bed.world.notices.status[ticket] == "open"
    bed.world.notices.close(ticket)
    bed.play(1800, step_s=60)
    assert bed.run(run_id).state is RunState.RESOLVED
    assert len(bed.world.notices.opened) == 1


def test_a_person_marking_the_repair_done_verifies_before_the_node_goes_back(bed):
    bed.world.scheduler.fail_next, bed.world.scheduler.retryable = 1, False  # the drain fails: a person
    [run_id] = bed.finding("a001", xid=79)
    bed.play(60)
    assert bed.run(run_id).state is RunState.ESCALATED and bed.run(run_id).human
    assert bed.finding("a001", xid=79) == []  # seen again: evidence on the same run
    assert len(bed.runs_of("a001")) == 1
    with bed.database.transaction() as session:
        service.mark_repaired(session, SYSTEM, run_id, "reseated the GPU")
    assert bed.run(run_id).state is RunState.VERIFYING
    bed.play(600)
    run = bed.run(run_id)
    assert run.state is RunState.RESOLVED and run.human and run.verified_at is not None


def test_new_evidence_while_handed_over_goes_on_the_same_ticket_once(bed):
    [run_id] = _broken_for(bed, "a002", minutes=2)
    ticket = bed.run(run_id).ticket
    assert bed.world.notices.told == []  # what the ticket was opened with is on it already
    for _ in range(6):  # another GPU fails on the node in the supplier's hands, reported every 30 s
        assert bed.finding("a002", xid=79, gpu=5) in ([], [run_id])
        bed.play(30, step_s=30)
    bed.play(1800, step_s=300)
    [(told_ticket, host, lines)] = bed.world.notices.told
    assert (told_ticket, host) == (ticket, "a002")
    assert len(lines) == 1 and lines[0].endswith("XID 79 on GPU 5")
    assert len(bed.world.notices.opened) == 1 and bed.run(run_id).state is RunState.ESCALATED
    assert len(bed.runs_of("a002")) == 1
