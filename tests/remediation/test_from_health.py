"""End to end from an agent report: health stores the finding, the pipeline hands it on, the engine acts."""

from __future__ import annotations

from fleetops import pipeline
from fleetops.auth.principal import SYSTEM
from fleetops.health.ingest import ingest
from fleetops.pipeline import Handoff
from fleetops.remediation import engine, service
from fleetops.remediation.choices import RunState
from tests.health.reports import body, report, xid


def test_agent_report_with_xid79_is_drained_by_the_worker(bed):
    previous = engine.use_engine(bed.engine)
    handoff = Handoff()
    try:
        with bed.database.transaction() as session:
            ingest(session, SYSTEM, body(report("b002", xids=[xid(79, index=5)])))
        handoff(bed.database), engine.tick(bed.database)
        bed.clock.advance(15)
        handoff(bed.database), engine.tick(bed.database)  # the same open finding again: not a second run
        with bed.database.transaction() as session:
            [run] = service.list_runs(session, SYSTEM)
            # health concludes two findings from the one event (fallen_off_bus and XID 79): one run
            assert (run.hostname, run.gpu_index, run.plan) == ("b002", 5, ["drain", "reboot_node", "verify"])
            assert run.state is RunState.ACTING and run.findings == 2
        assert bed.world.scheduler.state("b002") == "drained"
    finally:
        engine.use_engine(previous)
        handoff = Handoff()


def test_a_condition_reported_again_joins_its_run_once(bed):
    previous = engine.use_engine(bed.engine)
    handoff = Handoff()
    try:
        for _ in range(3):  # the same fallen-off-bus condition on three consecutive reports
            with bed.database.transaction() as session:
                ingest(session, SYSTEM, body(report("b002", xids=[xid(79, index=5)])))
            handoff(bed.database), engine.tick(bed.database)
            bed.clock.advance(30)
        with bed.database.transaction() as session:
            [run] = service.list_runs(session, SYSTEM)
            assert run.findings == 2 and not run.rule.startswith("cap:")
    finally:
        engine.use_engine(previous)
        handoff = Handoff()


def test_a_failing_alert_stage_does_not_stop_remediation(bed, monkeypatch):
    """Each consumer takes the findings in its own transaction; the failed one gets them again."""
    calls = []

    def broken(session, findings):
        calls.append(len(findings))
        raise RuntimeError("alert stage down")

    monkeypatch.setattr(pipeline, "CONSUMERS", (("alerts", broken), *pipeline.CONSUMERS[1:]))
    handoff = Handoff()
    with bed.database.transaction() as session:
        ingest(session, SYSTEM, body(report("b002", xids=[xid(79, index=5)])))
    handoff(bed.database)
    bed.clock.advance(15)
    handoff(bed.database)
    with bed.database.transaction() as session:
        assert len(service.list_runs(session, SYSTEM)) == 1
    assert calls[0] == calls[1] > 0  # not advanced past findings the failed stage never took
