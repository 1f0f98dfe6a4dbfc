"""The hardening gate. `ScanGate` judges a node by its own CIS scan (OpenSCAP, run by the agent and
imported by the security domain); the older `CheckGate` evaluates hand-written controls over facts.

Facts come from a results file written by the node's check run (`<dir>/<hostname>.json` or `.yaml`) or
from a check runner callable. A profile names the controls a cluster's nodes must pass; any failing
control stops the node, and the error names every failing control, so it never reaches `ready`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from fleetops.db.session import get_database
from fleetops.deploy.backends import StepContext, StepResult
from fleetops.errors import ExternalError
from fleetops.security.hardening import Verdict, verdict

Facts = Mapping[str, Any]


class HardeningFailed(ExternalError):
    """Not retryable: a configuration that fails a control fails again until someone fixes it."""

    code = "hardening_failed"

    def __init__(self, hostname: str, failing: list[Control]) -> None:
        names = ", ".join(f"{c.id} ({c.title})" for c in failing)
        super().__init__(
            f"node {hostname}: hardening failed: {names}", retryable=False, controls=[c.id for c in failing]
        )
        self.failing = failing


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    section: str
    path: tuple[str, ...]
    expected: Any = None
    absent: tuple[str, ...] = ()

    def passes(self, facts: Facts) -> bool:
        value: Any = facts
        for key in self.path:
            if not isinstance(value, Mapping) or key not in value:
                return False
            value = value[key]
        if self.absent:
            return isinstance(value, list) and not set(self.absent) & set(value)
        return str(value).lower() == str(self.expected).lower()


UNNECESSARY = ("avahi-daemon", "cups", "rpcbind", "telnet", "xinetd", "nfs-server")

BASE_CONTROLS = (
    Control("ssh-1", "SSH root login disabled", "ssh", ("ssh", "PermitRootLogin"), "no"),
    Control("ssh-2", "SSH password authentication disabled", "ssh", ("ssh", "PasswordAuthentication"), "no"),
    Control("ssh-3", "SSH X11 forwarding disabled", "ssh", ("ssh", "X11Forwarding"), "no"),
    Control("svc-1", "No unnecessary services running", "services", ("services",), absent=UNNECESSARY),
    Control("kern-1", "ASLR fully enabled", "kernel", ("sysctl", "kernel.randomize_va_space"), 2),
    Control(
        "kern-2", "ICMP redirects not accepted", "kernel", ("sysctl", "net.ipv4.conf.all.accept_redirects"), 0
    ),
    Control("kern-3", "Kernel pointers hidden", "kernel", ("sysctl", "kernel.kptr_restrict"), 1),
)
KUBERNETES_CONTROLS = (
    Control("k8s-1", "kubelet anonymous auth disabled", "kubernetes", ("kubelet", "anonymous-auth"), "false"),
    Control("k8s-2", "kubelet read-only port closed", "kubernetes", ("kubelet", "read-only-port"), 0),
    Control(
        "k8s-3",
        "kubelet authorization mode Webhook",
        "kubernetes",
        ("kubelet", "authorization-mode"),
        "Webhook",
    ),
    Control(
        "k8s-4",
        "kubelet protects kernel defaults",
        "kubernetes",
        ("kubelet", "protect-kernel-defaults"),
        "true",
    ),
)
SLURM_CONTROLS = (
    Control("slurm-1", "Slurm authenticates with MUNGE", "slurm", ("slurm", "AuthType"), "auth/munge"),
    Control(
        "slurm-2", "Slurm jobs confined by cgroups", "slurm", ("slurm", "ProctrackType"), "proctrack/cgroup"
    ),
)

PROFILES: dict[str, tuple[Control, ...]] = {
    "k8s-cis": BASE_CONTROLS + KUBERNETES_CONTROLS,
    "slurm-on-k8s-cis": BASE_CONTROLS + KUBERNETES_CONTROLS + SLURM_CONTROLS,
}


def failing_controls(profile: str, facts: Facts) -> list[Control]:
    return [control for control in PROFILES[profile] if not control.passes(facts)]


def compliant_facts(profile: str) -> dict[str, Any]:
    """Facts that pass every control of `profile`: what the simulator's nodes report, and a test baseline."""
    facts: dict[str, Any] = {"services": ["sshd", "kubelet", "containerd"]}
    for control in PROFILES[profile]:
        if control.absent:
            continue
        section: dict[str, Any] = facts.setdefault(control.path[0], {})
        section[control.path[1]] = control.expected
    return facts


def read_results(path: Path) -> Facts:
    text = path.read_text()
    loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(loaded, Mapping):
        raise ExternalError(
            f"hardening results {path}: expected a mapping of facts, got {type(loaded).__name__}"
        )
    return loaded


@dataclass
class CheckGate:
    """The hardening step: collect the facts (runner or results file), evaluate the profile's controls."""

    collect: Callable[[StepContext], Facts]
    name: str = "hardening"

    def run(self, ctx: StepContext) -> StepResult:
        failing = failing_controls(ctx.profile, self.collect(ctx))
        if failing:
            raise HardeningFailed(ctx.hostname, failing)
        return StepResult(done=True, evidence={"hardening_controls": len(PROFILES[ctx.profile])})


def results_file_gate(directory: Path) -> CheckGate:
    """A gate reading `<directory>/<hostname>.json|.yaml`; not yet written means the check still runs."""

    def collect(ctx: StepContext) -> Facts:
        for suffix in (".json", ".yaml", ".yml"):
            path = directory / f"{ctx.hostname}{suffix}"
            if path.exists():
                return read_results(path)
        raise ExternalError(f"node {ctx.hostname}: no hardening results in {directory}", retryable=True)

    return CheckGate(collect=collect)


@dataclass
class ScanGate:
    """The hardening step judged from the node's own CIS scan (the agent's `oscap` run, imported into the
    security domain) instead of a facts file: no scan since the step began means wait; a failing rule
    stops the node, named; a scan in which no rule applied stops it too (it proves nothing)."""

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
            failing = [Control(rule, title, "openscap", ()) for rule, title in found.failing]
            raise HardeningFailed(
                ctx.hostname, failing or [Control("no-applicable-rule", NOT_APPLICABLE, "", ())]
            )
        evidence = {
            "hardening_scan": found.import_id,
            "rules_passed": found.passed,
            "rules_applicable": found.applicable,
        }
        return StepResult(done=True, evidence=evidence)


NOT_APPLICABLE = "no rule of the CIS profile applied to this node's OS"


def _verdict(node_id: int, since: datetime | None) -> Verdict:
    with get_database().transaction() as session:
        return verdict(session, node_id, since)
