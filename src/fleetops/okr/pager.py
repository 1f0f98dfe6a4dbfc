"""The page-reduction baseline: a pager's incident export (CSV, one row per page) counted per day, and the
pages fleetops itself sent lately (PagerDuty triggers in the outbox, one per dedup key)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from fleetops.alerts.models import Outbox
from fleetops.audit.service import Change, record
from fleetops.auth.principal import Principal
from fleetops.errors import InvalidInput
from fleetops.okr.models import PagerBaseline

TIME_COLUMNS = ("created_on", "created_at", "Created On", "Created At", "created")


def _days(text: str, source: str) -> Counter:
    reader = csv.DictReader(io.StringIO(text))
    column = next((c for c in TIME_COLUMNS if c in (reader.fieldnames or [])), None)
    if column is None:
        raise InvalidInput(f"{source}:1: no time column (one of {', '.join(TIME_COLUMNS)})")
    days: Counter = Counter()
    for line, row in enumerate(reader, start=2):
        try:
            days[datetime.fromisoformat(row[column].strip().replace("Z", "+00:00")).date()] += 1
        except (ValueError, AttributeError) as exc:
            raise InvalidInput(f"{source}:{line}: field {column}: not a time: {row[column]!r}") from exc
    if not days:
        raise InvalidInput(f"{source}: no pages in the file")
    return days


def import_history(session: Session, principal: Principal, text: str, source: str) -> int:
    """Every day the file covers is replaced whole (days without a page count as zero), in one transaction."""
    principal.require_writer()
    days = _days(text, source)
    first, last = min(days), max(days)
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    session.execute(delete(PagerBaseline).where(PagerBaseline.day.between(first, last)))
    rows = [{"day": d, "pages": days.get(d, 0), "source": source[:200]} for d in span]
    session.execute(insert(PagerBaseline), rows)
    record(session, principal.actor, Change("okr.pager_import", "okr_pager_baseline", source[:200], {}))
    return sum(days.values())


def baseline_per_day(session: Session) -> tuple[float | None, str]:
    days, pages = session.execute(select(func.count(), func.coalesce(func.sum(PagerBaseline.pages), 0))).one()
    if not days:
        return None, "no pager history imported"
    return pages / days, f"{pages:,} pages over {days} imported days"


def sent_per_day(session: Session, since: datetime, until: datetime) -> tuple[float, int]:
    """Pages (PagerDuty triggers, one per dedup key) queued in [since, until), and their rate per day."""
    sent = session.scalar(
        select(func.count(func.distinct(Outbox.dedup_key))).where(
            Outbox.kind == "pagerduty",
            Outbox.action == "trigger",
            Outbox.created_at >= since,
            Outbox.created_at < until,
        )
    )
    return (sent or 0) / ((until - since).total_seconds() / 86400), sent or 0
