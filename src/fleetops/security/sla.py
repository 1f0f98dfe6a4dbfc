"""The SLA clock: when a finding is due, and whether it was (or still is) within its SLA.

A finding is due `sla_days[severity]` days after it opened (a reopened finding starts a new clock). It is
within SLA when it was fixed at or before its due time, or is still open and its due time has not passed;
a risk acceptance that has not expired takes it out of the measure, an expired one puts it back as open.
The edges are inclusive to the microsecond: fixed at exactly day 7 of a Critical is within, a
microsecond later is not (tests/security/test_sla.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_

from fleetops.config import settings
from fleetops.security.choices import FindingStatus, Severity
from fleetops.security.models import SecurityFinding as F


def due(opened_at: datetime, severity: Severity) -> datetime:
    return opened_at + timedelta(days=settings().security.days(severity))


def is_open(now: datetime) -> ColumnElement[bool]:
    """Open, or accepted with an acceptance that has run out."""
    return or_(
        F.status == FindingStatus.OPEN, and_(F.status == FindingStatus.ACCEPTED, F.accepted_until <= now)
    )


def measured(now: datetime) -> ColumnElement[bool]:
    """The findings the SLA measure counts: all but those under a running risk acceptance."""
    return or_(F.status != FindingStatus.ACCEPTED, F.accepted_until <= now)


def within(now: datetime) -> ColumnElement[bool]:
    fixed_in_time = and_(F.status == FindingStatus.FIXED, F.fixed_at <= F.due_at)
    return or_(fixed_in_time, and_(is_open(now), F.due_at >= now))


def overdue(now: datetime) -> ColumnElement[bool]:
    return and_(is_open(now), F.due_at < now)
