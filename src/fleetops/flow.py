"""The typed envelopes that move down the pipeline: Finding (health) → Alert → Incident → Notification.

Health produces `Finding`s; Alertmanager produces webhook alerts; both become `Alert`s, which the alert
stages (dedupe, correlate, classify, route) annotate and, when they stop one, say why in `stopped`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from fleetops.wire import FaultOwner, Severity

# Findings speak the agent's vocabulary (`fleetops.wire`), so no stage renames a severity or an owner.
# The old name, for callers not moved to `Severity` yet: the same class, not a second vocabulary.
FindingSeverity = Severity


@dataclass(frozen=True)
class Finding:
    """One conclusion of the health pipeline about one node (and optionally one GPU of it).

    `check` names what was found ("xid", "ecc_uncorrectable", "node_silent", "oom"); `xid` is set for
    XID findings. `owner` and `action` come from the check or XID catalog, so routing never re-derives them.
    """

    hostname: str
    check: str
    severity: Severity
    owner: FaultOwner
    observed_at: datetime
    message: str = ""
    action: str = ""
    gpu_index: int | None = None
    gpu_uuid: str | None = None
    xid: int | None = None
    resolved: bool = False


@dataclass
class Alert:
    """An alert as the stages see it: labels to match on, a fingerprint to dedupe on, and why it stopped.

    `source` is "fsh" for findings and "alertmanager" for webhook alerts. The stage annotations
    (`alert_id`, `incident_key`, `stopped`) are filled as the alert moves down the pipeline.
    """

    fingerprint: str
    labels: dict[str, str]
    status: str
    starts_at: datetime
    source: str
    annotations: dict[str, str] = field(default_factory=dict)
    ends_at: datetime | None = None
    alert_id: int | None = None
    node_id: int | None = None
    rack_id: int | None = None
    cluster_id: int | None = None
    incident_key: str | None = None
    stopped: str | None = None

    @property
    def firing(self) -> bool:
        return self.status == "firing"


def fingerprint(labels: dict[str, str]) -> str:
    """Stable identity of an alert from its identifying labels, as Alertmanager fingerprints label sets."""
    text = "\x1f".join(f"{k}\x1e{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def finding_labels(finding: Finding) -> dict[str, str]:
    """The identifying labels of a finding: what makes two findings "the same alert"."""
    labels = {"alertname": finding.check, "node": finding.hostname}
    if finding.gpu_index is not None:
        labels["gpu"] = str(finding.gpu_index)
    if finding.xid is not None:
        labels["xid"] = str(finding.xid)
    return labels


def alert_from_finding(finding: Finding) -> Alert:
    identity = finding_labels(finding)
    labels = identity | {"severity": finding.severity.value, "owner": finding.owner.label}
    if finding.gpu_uuid:
        labels["gpu_uuid"] = finding.gpu_uuid
    annotations = {"summary": finding.message, "action": finding.action}
    status = "resolved" if finding.resolved else "firing"
    return Alert(
        fingerprint=fingerprint(identity),
        labels=labels,
        status=status,
        starts_at=finding.observed_at,
        source="fsh",
        annotations=annotations,
        ends_at=finding.observed_at if finding.resolved else None,
    )


@dataclass
class Incident:
    """An incident as classify and route see it: where it sits in the topology and what changed."""

    key: str
    scope: str
    subject: str
    owner: str
    status: str
    labels: dict[str, str]
    node_count: int = 0
    alert_count: int = 0
    share: float = 0.0
    system_down: bool = False
    incident_id: int | None = None
    priority: str = "P3"
    muted_by: str | None = None
    stopped: str | None = None
    reasons: list[str] = field(default_factory=list)
