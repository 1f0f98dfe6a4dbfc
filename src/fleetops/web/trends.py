"""The landing page's trend charts, bucketed from the records: pages and tickets per day (the outbox),
MTTR per day (remediation's own run rows, `remediation.measures`), GPUs brought to ready per hour (the
bring-up transitions), FSH coverage per day (silences begun and ended). Staff only: these
are the fleet's numbers, not a tenant's."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.alerts.models import Outbox
from fleetops.auth.principal import SYSTEM
from fleetops.deploy.choices import BringupState
from fleetops.deploy.models import BringupTransition, NodeBringup
from fleetops.health.coverage import Share, coverage
from fleetops.health.evaluate import NODE_SILENT
from fleetops.health.models import HealthFinding
from fleetops.remediation import measures
from fleetops.remediation.choices import FaultClass
from fleetops.web.charts import Chart, Series

DAYS = 14
HOURS = 48


def buckets(now: datetime, step: timedelta, count: int) -> list[datetime]:
    """`count` bucket starts ending with the one holding `now`, aligned to whole days or hours."""
    unit = timedelta(days=1) if step >= timedelta(days=1) else timedelta(hours=1)
    epoch = datetime(1970, 1, 1, tzinfo=now.tzinfo)
    last = epoch + ((now - epoch) // unit) * unit
    return [last - step * (count - 1 - i) for i in range(count)]


def _index(starts: list[datetime], step: timedelta, at: datetime) -> int | None:
    at = at if at.tzinfo else at.replace(tzinfo=starts[0].tzinfo)
    i = int((at - starts[0]) // step)
    return i if 0 <= i < len(starts) else None


def count_per(
    starts: list[datetime], step: timedelta, events: Iterable[tuple[datetime, float]]
) -> list[float]:
    out = [0.0] * len(starts)
    for at, weight in events:
        if (i := _index(starts, step, at)) is not None:
            out[i] += weight
    return out


def pages_and_tickets(session: Session, now: datetime) -> Chart:
    """Distinct pages (PagerDuty triggers) and tickets (Jira issues) first queued each day."""
    day = timedelta(days=1)
    starts = buckets(now, day, DAYS)
    rows = session.execute(
        select(Outbox.kind, Outbox.action, Outbox.dedup_key, Outbox.created_at)
        .where(Outbox.created_at >= starts[0], Outbox.kind.in_(("pagerduty", "jira")))
        .order_by(Outbox.id)
    )
    first: dict[tuple[str, str], datetime] = {}
    for kind, action, key, at in rows:
        if kind == "jira" or action == "trigger":
            first.setdefault((kind, key), at)
    pages = count_per(starts, day, ((at, 1) for (kind, _), at in first.items() if kind == "pagerduty"))
    tickets = count_per(starts, day, ((at, 1) for (kind, _), at in first.items() if kind == "jira"))
    return Chart(starts, [Series("Pages", pages, "red"), Series("Tickets", tickets, "blue")], bars=True)


def mttr(session: Session, now: datetime) -> Chart:
    """Median detection → back in service (minutes) of the runs that ended each day, software/hardware."""
    day = timedelta(days=1)
    starts = buckets(now, day, DAYS)
    spans: dict[tuple[str, int], list[float]] = defaultdict(list)
    for run in measures._runs(session, starts[0] - timedelta(days=7)):
        back = run["back_in_service_at"]
        if back is None or run["dry_run"] or (i := _index(starts, day, back)) is None:
            continue
        spans[(str(run["fault_class"]), i)].append((back - run["detected_at"]).total_seconds() / 60)
    series = [
        Series(
            f"MTTR {fault.value}",
            [round(median(v), 1) if (v := spans.get((fault.value, i))) else None for i in range(DAYS)],
            colour,
        )
        for fault, colour in ((FaultClass.SOFTWARE, "blue"), (FaultClass.HARDWARE, "orange"))
    ]
    return Chart(starts, series, unit="min")


def gpus_deployed(session: Session, now: datetime) -> Chart:
    """GPUs whose node reached ready, per hour (a node that reaches ready twice counts twice)."""
    hour = timedelta(hours=1)
    starts = buckets(now, hour, HOURS)
    rows = session.execute(
        select(BringupTransition.at, NodeBringup.gpu_count)
        .join(NodeBringup, NodeBringup.id == BringupTransition.bringup_id)
        .where(BringupTransition.to_state == BringupState.READY.value, BringupTransition.at >= starts[0])
    )
    return Chart(starts, [Series("GPUs to ready", count_per(starts, hour, rows), "green")], bars=True)


def coverage_per_day(session: Session, now: datetime, today: Share | None = None) -> Chart:
    """FSH coverage at the end of each day: today's silent nodes, walked back through the silences since
    (the `node_silent` findings the sweep opens and a node's next report resolves, the records the
    suppliers' FSH coverage reads too). They were the node-level health changes into and out of
    `unknown` before: no index reaches those, and 890,000 change rows (a 100,000-node fleet's first
    day) took 150 ms a page. The count of nodes expected to report is today's: the records keep no
    history of it, so a fleet that grew shows its past coverage against today's size.
    `today`: the fleet's coverage now, when the caller has read it already."""
    day = timedelta(days=1)
    starts = buckets(now, day, DAYS)
    today = today or coverage(session, SYSTEM).fleet
    if not today.expected:
        return Chart(starts, [Series("FSH coverage", [None] * DAYS, "green")], unit="%")
    silences = session.execute(
        select(HealthFinding.opened_at, HealthFinding.resolved_at).where(
            HealthFinding.check == NODE_SILENT,
            or_(HealthFinding.opened_at >= starts[0], HealthFinding.resolved_at >= starts[0]),
        )
    ).all()
    # +1 where a silence ended (walking back, the node was silent before), -1 where one began
    steps = sorted(
        [(_aware(opened, now), -1) for opened, _ in silences]
        + [(_aware(resolved, now), 1) for _, resolved in silences if resolved is not None],
        reverse=True,
    )
    silent = today.expected - today.reporting
    values: list[float | None] = []
    later, i = 0, 0  # the silences ended minus those begun after the end being computed
    for end in reversed([min(now, start + day) for start in starts]):
        while i < len(steps) and steps[i][0] > end:
            later += steps[i][1]
            i += 1
        values.append(round(100 * (1 - max(0, silent + later) / today.expected), 2))
    return Chart(starts, [Series("FSH coverage", values[::-1], "green")], unit="%")


def _aware(at: datetime, like: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=like.tzinfo)


def trends(session: Session, today: Share | None = None) -> dict[str, Chart]:
    now = clock.now()
    return {
        "pages": pages_and_tickets(session, now),
        "mttr": mttr(session, now),
        "deployed": gpus_deployed(session, now),
        "coverage": coverage_per_day(session, now, today),
    }
