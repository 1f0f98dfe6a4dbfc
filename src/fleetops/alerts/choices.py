"""Alert, incident and notification enumerations with labels and colours."""

from __future__ import annotations

from fleetops.choices import Choice


class AlertStatus(Choice):
    FIRING = "firing", "Firing", "red"
    RESOLVED = "resolved", "Resolved", "green"


class Priority(Choice):
    """P0 pages a human and is reserved for a system down or a cluster-wide degradation."""

    P0 = "P0", "P0 system down", "red"
    P1 = "P1", "P1 rack or multi-node outage", "orange"
    P2 = "P2", "P2 single node or GPU fault", "yellow"
    P3 = "P3", "P3 customer or informational", "blue"


class Scope(Choice):
    GPU = "gpu", "GPU", "grey"
    NODE = "node", "Node", "yellow"
    RACK = "rack", "Rack", "orange"
    CLUSTER = "cluster", "Cluster", "red"
    FLEET = "fleet", "Fleet", "red"
    TEAM = "team", "Team", "blue"  # no node or cluster (a vendor, a feed): placed by its owning team


class IncidentStatus(Choice):
    OPEN = "open", "Open", "red"
    MERGED = "merged", "Merged into a wider incident", "grey"
    RESOLVED = "resolved", "Resolved", "green"


class Disposition(Choice):
    """What the pipeline did with an incident (and so with its alerts): the answer to "why no page?"."""

    PENDING = "pending", "Waiting for its group timer", "grey"
    NOTIFIED = "notified", "Notified", "green"
    SUPPRESSED = "suppressed", "Suppressed", "grey"
    INHIBITED = "inhibited", "Muted by a wider incident", "grey"
    UNROUTED = "unrouted", "No receiver matched", "orange"


class OutboxStatus(Choice):
    PENDING = "pending", "Pending", "blue"
    DELIVERED = "delivered", "Delivered", "green"
    FAILED = "failed", "Failed (not retryable)", "red"


class ReceiverKind(Choice):
    PAGERDUTY = "pagerduty", "PagerDuty", "red"
    SLACK = "slack", "Slack", "blue"
    JIRA = "jira", "Jira", "blue"
