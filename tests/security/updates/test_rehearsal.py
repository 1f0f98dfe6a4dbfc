"""The emergency update rehearsed in the simulator: 64 nodes of a non-production cluster, a simulated
critical CVE, never more than 10 % drained at once, no node left drained, every step audited."""

from __future__ import annotations

from sqlalchemy import func, select

from fleetops.audit.models import AuditEvent
from fleetops.auth.principal import SYSTEM
from fleetops.security.updates import service
from fleetops.security.updates.choices import Step
from fleetops.security.updates.rehearsal import rehearse


def test_sixty_four_nodes_ten_percent_at_a_time(database):
    done = rehearse(database, nodes=64, pct=10)
    assert done.state == "completed" and done.nodes == {"done": 64}
    assert done.most_drained == 6  # floor(6.4): the cap is reached and never passed
    assert done.left_drained == []
    with database.transaction() as session:
        run = service.get(session, SYSTEM, done.name)
        steps = service.timeline(session, run)
        path = [s.to_state for s in steps if s.hostname == "staging-n000"]
        assert path == [Step.DRAINING, Step.UPDATING, Step.QUALIFYING, Step.RESUMING, Step.DONE]
        assert len(steps) == 64 * 5
        audited = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.like("security_update.%"), AuditEvent.target_type == "node")
        )
        assert audited == len(steps)
        # replayed in order, the timeline never has more than the cap out of service
        out: set[str] = set()
        most = 0
        for step in steps:
            if step.to_state is Step.DRAINING:
                out.add(step.hostname)
            elif step.to_state is Step.DONE:
                out.discard(step.hostname)
            most = max(most, len(out))
        assert most == 6


def test_the_first_failure_pauses_the_run_and_only_its_node_stays_drained(database):
    done = rehearse(database, nodes=20, pct=10, broken=frozenset({"staging-n003"}))
    assert done.state == "paused"
    assert done.left_drained == ["staging-n003"]
    assert done.nodes["failed"] == 1 and done.nodes["pending"] > 0
    with database.transaction() as session:
        run = service.get(session, SYSTEM, done.name)
        assert "staging-n003" in run.reason and "burn-in failed" in run.reason
