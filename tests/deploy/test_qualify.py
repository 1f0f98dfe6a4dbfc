"""The qualification step reads the agent's burn-in result and judges it against inventory."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from fleetops.deploy.backends import StepContext
from fleetops.deploy.choices import BringupState
from fleetops.deploy.qualify import AgentQualifier, results_directory
from fleetops.errors import ExternalError
from fleetops.wire import GpuQualification, QualificationResult


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


def result(now, *, failing=(), seen=8, xids=()):
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
        finished_at=now + timedelta(minutes=60),
        backend="torch",
        model="NVIDIA H100 80GB HBM3",
        duration_s=3600,
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
