"""The qualification step: the agent's burn-in result, judged against the node it should describe.

The agent (`fleetops-agent qualify --json`) measures every GPU against its model's thresholds and says
pass or fail per GPU. This step waits for a result newer than the step's start, then also checks what
the agent cannot know: that it saw as many GPUs as inventory says the node has. A failed burn-in is
retryable, so the recovery ladder (retry, power-cycle, re-image) runs before a human is asked.

Qualification runs in levels, the short ones first (a few minutes per GPU, then the long burn-in), as
`dcgmi diag` levels do: every result is judged as it arrives, so a fault the quick level finds fails
the step at once instead of after an hour or two of burn-in, and the node starts its recovery then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from fleetops import clock
from fleetops.deploy.backends import StepContext, StepResult
from fleetops.errors import ExternalError
from fleetops.wire import QualificationResult, validation_message

Fetch = Callable[[str], QualificationResult | None]


def results_directory(directory: Path) -> Fetch:
    """Results the agents wrote (or a collector copied) as `<directory>/<hostname>.json`."""

    def fetch(hostname: str) -> QualificationResult | None:
        path = directory / f"{hostname}.json"
        if not path.exists():
            return None
        try:
            return msgspec.json.decode(path.read_bytes(), type=QualificationResult)
        except msgspec.DecodeError as error:
            raise ExternalError(
                f"node {hostname}: burn-in result {path}: {validation_message(error)}", retryable=True
            ) from error

    return fetch


def judge(ctx: StepContext, result: QualificationResult) -> list[str]:
    """Every reason the node does not qualify, so nobody reruns a burn-in only to learn more."""
    reasons = [f"GPU {g.index}: {'; '.join(g.reasons) or 'failed'}" for g in result.gpus if not g.passed]
    if not result.passed and not reasons:
        reasons.append(result.reason or "burn-in failed")
    if result.new_xids:
        reasons.append(f"XIDs during burn-in: {', '.join(map(str, result.new_xids))}")
    if len(result.gpus) < ctx.gpu_count:
        reasons.append(f"burn-in saw {len(result.gpus)} of {ctx.gpu_count} GPUs")
    return reasons


@dataclass
class AgentQualifier:
    """`burn_in_s`: the per-GPU duration of the last level; a passing result shorter than that is an
    earlier level passed, and the step waits on for the burn-in (0: the first passing result is final)."""

    fetch: Fetch
    name: str = "qualifier"
    poll_s: float = 60.0
    timeout_s: float = 6 * 3600.0
    burn_in_s: float = 0.0

    def run(self, ctx: StepContext) -> StepResult:
        started = ctx.step_started_at or clock.now()
        result = self.fetch(ctx.hostname)
        if result is None or result.finished_at < started:
            if (clock.now() - started).total_seconds() > self.timeout_s:
                raise ExternalError(
                    f"node {ctx.hostname}: no burn-in result {self.timeout_s / 3600:g} h after "
                    "qualification started",
                    retryable=True,
                )
            return StepResult(done=False, wait_s=self.poll_s)
        reasons = judge(ctx, result)
        if reasons:
            raise ExternalError(
                f"node {ctx.hostname}: burn-in failed ({result.duration_s:g} s per GPU): "
                f"{' | '.join(reasons)}",
                retryable=True,
                reasons=reasons,
            )
        if result.duration_s < self.burn_in_s:
            return StepResult(
                done=False, wait_s=self.poll_s, evidence={"qualification_level_passed_s": result.duration_s}
            )
        tflops = [g.matmul_bf16_tflops_median for g in result.gpus if g.matmul_bf16_tflops_median]
        return StepResult(
            done=True,
            evidence={
                "burn_in_s": result.duration_s,
                "burn_in_backend": result.backend,
                "bf16_tflops_min_median": min(tflops) if tflops else None,
            },
        )
