"""Health enumerations: health states, finding sources, report outcomes, with labels and colours."""

from __future__ import annotations

from fleetops.choices import Choice


class HealthState(Choice):
    HEALTHY = "healthy", "Healthy", "green"
    DEGRADED = "degraded", "Degraded", "orange"
    UNHEALTHY = "unhealthy", "Unhealthy", "red"
    UNKNOWN = "unknown", "Unknown (silent)", "grey"


# Worst first: a node is as bad as its worst GPU or node-level finding.
STATE_RANK = {
    HealthState.HEALTHY: 0,
    HealthState.UNKNOWN: 1,
    HealthState.DEGRADED: 2,
    HealthState.UNHEALTHY: 3,
}


class FindingSource(Choice):
    AGENT = "agent", "Node agent", "blue"
    CONTROL_PLANE = "control-plane", "Control plane", "grey"


class ReportOutcome(Choice):
    ACCEPTED = "accepted", "Accepted", "green"
    DUPLICATE = "duplicate", "Duplicate (already stored)", "grey"
    REJECTED = "rejected", "Rejected", "red"


class RejectReason(Choice):
    INVALID = "invalid", "Invalid report", "red"
    TOO_LARGE = "too_large", "Too large", "red"
    UNKNOWN_NODE = "unknown_node", "Unknown node", "red"
    UNKNOWN_GPU = "unknown_gpu", "Unknown GPU", "red"
    WRONG_NODE = "wrong_node", "Token bound to another node", "red"
