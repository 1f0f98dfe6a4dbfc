"""Verification: the production verifier waits for health's verdict; nothing unverified goes back."""

from __future__ import annotations

import pytest

from fleetops.health import service as health
from fleetops.remediation.choices import RunState
from fleetops.remediation.executors import Target
from fleetops.remediation.verify import HealthVerifier, VerifierUnavailable

TARGET = Target(run_id=1, hostname="b000", node_id=1)


def test_health_verifier_waits_until_health_answers(sqlite_database, manual_clock, monkeypatch):
    verifier = HealthVerifier()
    if not hasattr(health, "verification"):
        with pytest.raises(VerifierUnavailable):  # not offered by health (yet): a person decides
            verifier.result(TARGET, manual_clock.now())
    asked = []
    monkeypatch.setattr(
        health, "request_qualification", lambda session, host: asked.append(host), raising=False
    )
    monkeypatch.setattr(health, "verification", lambda session, host, since: host == "b000", raising=False)
    verifier.start(TARGET)
    assert asked == ["b000"]
    assert verifier.result(TARGET, manual_clock.now()) is True
    assert verifier.result(Target(run_id=2, hostname="b001", node_id=2), manual_clock.now()) is False


def test_no_verdict_within_the_timeout_climbs_instead_of_resuming(bed):
    bed.world.verifier.duration_s = 10**9  # the node never reports back
    [run_id] = bed.finding("b000", xid=62)
    bed.play(45 * 60, step_s=60)
    run = bed.run(run_id)
    assert bed.world.scheduler.count("resume") == 0
    assert run.plan[3:] == ["reboot_node", "verify"] and run.state in (RunState.ACTING, RunState.VERIFYING)
    assert any("no fresh report and qualification" in s.detail for s in bed.steps(run_id))


def test_without_any_verifier_the_run_goes_to_a_person_not_up_the_ladder(bed, monkeypatch):
    monkeypatch.delattr(health, "request_qualification", raising=False)
    bed.engine.verifier = HealthVerifier()
    [run_id] = bed.finding("b000", xid=62)
    bed.play(10 * 60)
    run = bed.run(run_id)
    assert run.state is RunState.ESCALATED and run.human and "cannot verify" in run.last_error
    assert run.plan == ["drain", "reset_gpu", "verify"] and bed.world.scheduler.count("resume") == 0
