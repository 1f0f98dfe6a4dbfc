"""The hardening gate: a node is judged by its own CIS scan (OpenSCAP with `security.profile`, run by
the node's agent and imported by the security domain), never by a facts file a person could write.

No scan since the step began means wait; any failing rule stops the node, naming every failing rule, so it
never reaches `ready`; a scan in which no rule of the profile applied stops it too (it proves nothing).
The facts-file gate that came before (15 hand-written controls over a file no scanner produces) is gone:
nothing real wrote that file, so passing it proved only that someone had written it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from fleetops.db.session import get_database
from fleetops.deploy.backends import StepContext, StepResult
from fleetops.errors import ExternalError
from fleetops.security.hardening import Verdict, verdict

# A rollout's hardening profile names the standard its nodes are held to; each is judged by the CIS scan
# of `security.profile` (the profile the agents run). Kept as names so plans and the console can offer them.
PROFILES = {
    "k8s-cis": "CIS Level 1 server, Kubernetes node",
    "slurm-on-k8s-cis": "CIS Level 1 server, Slurm on Kubernetes node",
}
NOT_APPLICABLE = "no rule of the CIS profile applied to this node's OS"


class HardeningFailed(ExternalError):
    """Not retryable: a configuration that fails a rule fails again until someone fixes it."""

    code = "hardening_failed"

    def __init__(self, hostname: str, failing: list[tuple[str, str]]) -> None:
        names = ", ".join(f"{rule} ({title})" for rule, title in failing)
        super().__init__(
            f"node {hostname}: hardening failed: {names}",
            retryable=False,
            controls=[rule for rule, _ in failing],
        )
        self.failing = failing


@dataclass
class ScanGate:
    """The hardening step, judged from the node's latest CIS scan taken since the step began."""

    read: Callable[[int, datetime | None], Verdict] = field(default_factory=lambda: _verdict)
    name: str = "hardening"
    poll_s: float = 60.0

    def run(self, ctx: StepContext) -> StepResult:
        found = self.read(ctx.node_id, ctx.step_started_at)
        if not found.scanned:
            return StepResult(
                done=False, wait_s=self.poll_s, evidence={"hardening": "waiting for a CIS scan"}
            )
        if found.failing or not found.applicable:
            raise HardeningFailed(ctx.hostname, found.failing or [("no-applicable-rule", NOT_APPLICABLE)])
        evidence = {
            "hardening_scan": found.import_id,
            "rules_passed": found.passed,
            "rules_applicable": found.applicable,
        }
        return StepResult(done=True, evidence=evidence)


def _verdict(node_id: int, since: datetime | None) -> Verdict:
    with get_database().transaction() as session:
        return verdict(session, node_id, since)
