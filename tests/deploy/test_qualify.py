"""The qualification step reads the agent's burn-in result and judges it against inventory."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest
from sqlalchemy import select

from fleetops.deploy.backends import REALISTIC_DURATIONS, SimulatedQualifier, StepContext, simulated_backends
from fleetops.deploy.choices import BringupState
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.models import BringupTransition, NodeBringup
from fleetops.deploy.qualify import AgentQualifier, results_directory
from fleetops.errors import ExternalError
from fleetops.wire import GpuQualification, QualificationResult
from tests.deploy.fleet import drive, start_rollout


def context(now, gpus=8, calls=1):
    return StepContext(
        1,
        "n1",
        1,
        None,
        "H100-SXM5-80GB",
        gpus,
        "gamma",
        "kubernetes",
        "img",
        "k8s-cis",
        BringupState.QUALIFYING,
        1,
        calls,
        now,
    )


def result(now, *, failing=(), seen=8, xids=(), duration_s=3600):
    gpus = [
        GpuQualification(
            index=i,
            passed=i not in failing,
            matmul_bf16_tflops_median=680.0 - i,
            reasons=["bf16 matmul median 410 TFLOP/s < 600"] if i in failing else [],
        )
        for i in range(seen)
    ]
    return QualificationResult(
        started_at=now,
        finished_at=now + timedelta(seconds=duration_s),
        backend="torch",
        model="NVIDIA H100 80GB HBM3",
        duration_s=duration_s,
        passed=not failing,
        new_xids=list(xids),
        gpus=gpus,
    )


def test_waits_for_a_result_newer_than_the_step(manual_clock, tmp_path):
    now = manual_clock.now()
    qualifier = AgentQualifier(results_directory(tmp_path), poll_s=60)
    assert qualifier.run(context(now)).done is False
    (tmp_path / "n1.json").write_bytes(msgspec.json.encode(result(now - timedelta(days=2))))
    assert qualifier.run(context(now)).done is False  # an old burn-in does not count
    (tmp_path / "n1.json").write_bytes(msgspec.json.encode(result(now)))
    done = qualifier.run(context(now))
    assert done.done and done.evidence["bf16_tflops_min_median"] == 673.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"failing": (3,)}, "GPU 3: bf16 matmul median 410 TFLOP/s < 600"),
        ({"seen": 7}, "burn-in saw 7 of 8 GPUs"),
        ({"xids": (79,)}, "XIDs during burn-in: 79"),
    ],
)
def test_failures_name_every_reason(manual_clock, kwargs, message):
    now = manual_clock.now()
    qualifier = AgentQualifier(lambda hostname: result(now, **kwargs))
    with pytest.raises(ExternalError, match=message) as error:
        qualifier.run(context(now))
    assert error.value.retryable


def test_no_result_in_time_is_an_error(manual_clock):
    now = manual_clock.now()
    qualifier = AgentQualifier(lambda hostname: None, timeout_s=3600)
    manual_clock.advance(3601)
    with pytest.raises(ExternalError, match="no burn-in result 1 h after"):
        qualifier.run(context(now))


def test_a_short_level_that_passes_waits_for_the_burn_in(manual_clock):
    now = manual_clock.now()
    results = {"n1": result(now, duration_s=120)}
    qualifier = AgentQualifier(results.get, burn_in_s=3600)
    step = qualifier.run(context(now))
    assert not step.done and step.evidence == {"qualification_level_passed_s": 120}
    results["n1"] = result(now, duration_s=3600)
    assert qualifier.run(context(now)).done


def test_a_short_level_that_fails_fails_the_step_at_once(manual_clock):
    now = manual_clock.now()
    qualifier = AgentQualifier(lambda hostname: result(now, failing=(2,), duration_s=120), burn_in_s=3600)
    with pytest.raises(ExternalError, match=r"burn-in failed \(120 s per GPU\): GPU 2: bf16"):
        qualifier.run(context(now))


def simulated(**overrides):
    return SimulatedQualifier(
        "qualifier", duration_s=(7200, 7200), quick_s=300, **{"failure_rate": 1.0, **overrides}
    )


def test_a_simulated_qualification_ends_where_its_fault_shows():
    assert simulated(quick_finds=1.0).busy_s("n1", 1) == 300
    assert all(300 <= simulated(quick_finds=0.0).busy_s(f"n{i}", 1) < 7500 for i in range(100))
    assert simulated(failure_rate=0.0).busy_s("n1", 1) == 7500
    found_quickly = sum(simulated().busy_s(f"n{i}", 1) == 300 for i in range(2000))
    assert 0.77 < found_quickly / 2000 < 0.83  # QUICK_DIAG_FINDS


def test_a_gpu_the_quick_diag_finds_reaches_a_person_in_minutes_not_burn_ins(database, manual_clock):
    """Five runs of a two-hour burn-in used to keep a dead GPU from the human queue for ten hours."""
    start_rollout(database, nodes=1)
    backends = simulated_backends(durations=REALISTIC_DURATIONS, burn_in_s=7200)
    backends.qualifier = simulated(persistent_share=1.0, quick_finds=1.0)
    drive(database, Engine(backends, Limits(threads=1)), manual_clock)
    with database.transaction() as session:
        row = session.scalars(select(NodeBringup)).one()
        moves = session.execute(
            select(BringupTransition.to_state, BringupTransition.at).order_by(BringupTransition.id)
        ).all()
    entered = [at for state, at in moves if state == "qualifying"]
    failed = [at for state, at in moves if state == "failed_qualifying"]
    assert row.state == "needs_human" and len(failed) == 5
    assert {(f - e).total_seconds() for e, f in zip(entered, failed, strict=True)} == {300}
    assert row.updated_at - row.enrolled_at < timedelta(hours=2)
