"""The incident lifecycle as data: one transition table, checked by `incidents.move` on every change.

open → resolved (all its alerts resolved) | merged (absorbed by a wider incident); resolved → open when
the same fault is back within the flap window. A merged incident is done: its alerts live on in the
wider one. Every move is an `IncidentEvent` row saying who, when, from, to and why.
"""

from __future__ import annotations

from fleetops.alerts import models
from fleetops.alerts.choices import IncidentStatus
from fleetops.errors import InvalidTransition

S = IncidentStatus

TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.OPEN: frozenset({S.RESOLVED, S.MERGED}),
    S.RESOLVED: frozenset({S.OPEN}),
    S.MERGED: frozenset(),
}


def check(row: models.Incident, new: IncidentStatus) -> None:
    old = S(row.status)
    if new not in TRANSITIONS[old]:
        options = ", ".join(sorted(s.value for s in TRANSITIONS[old])) or "none (final)"
        raise InvalidTransition(
            f"incident {row.id}: field status: {old.value} → {new.value} is not allowed "
            f"(from {old.value}: {options})"
        )
