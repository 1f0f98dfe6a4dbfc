"""Security incident enumerations: priority with its response SLA, lifecycle states, the three roles."""

from __future__ import annotations

from datetime import timedelta

from fleetops.choices import Choice


class Priority(Choice):
    P0 = "P0", "P0 critical: active compromise or customer data exposed", "red"
    P1 = "P1", "P1 high: exploitable exposure in production", "orange"
    P2 = "P2", "P2 medium: contained or hard to exploit", "yellow"
    P3 = "P3", "P3 low: hygiene, no exposure", "blue"

    @property
    def response(self) -> timedelta:
        """How soon a named commander must acknowledge after declaration."""
        return RESPONSE[self]

    @property
    def update_every(self) -> timedelta:
        """How often customers hear from us while the incident is open."""
        return UPDATES[self]


RESPONSE = {
    Priority.P0: timedelta(minutes=15),
    Priority.P1: timedelta(hours=1),
    Priority.P2: timedelta(hours=4),
    Priority.P3: timedelta(hours=24),
}
UPDATES = {
    Priority.P0: timedelta(hours=1),
    Priority.P1: timedelta(hours=4),
    Priority.P2: timedelta(hours=24),
    Priority.P3: timedelta(days=3),
}


class IncidentState(Choice):
    DECLARED = "declared", "Declared", "red"
    INVESTIGATING = "investigating", "Investigating", "orange"
    CONTAINED = "contained", "Contained", "yellow"
    RESOLVED = "resolved", "Resolved", "green"
    CLOSED = "closed", "Closed (post-incident review done)", "grey"


class IncidentRole(Choice):
    COMMANDER = "commander", "Incident commander", "red"
    COMMUNICATIONS = "communications", "Communications lead", "blue"
    TECHNICAL_LEAD = "technical_lead", "Technical lead", "orange"


class Notice(Choice):
    FIRST_NOTICE = "first_notice", "First notice", "red"
    UPDATE = "update", "Update", "orange"
    POST_INCIDENT = "post_incident", "Post-incident report", "green"
