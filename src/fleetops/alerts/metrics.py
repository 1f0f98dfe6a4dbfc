"""Alert-path families for `/metrics`, computed at scrape time from the same measures as the API.

Counts that only grow (alerts in, pages, tickets, deliveries) are counters over every row ever written,
so `rate()` works; what a merge or a silence can lower (incidents held quiet, the outbox by status) is a
gauge. Time to notify is a histogram over every notified incident, so percentiles come from PromQL.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops.alerts.measures import measures
from fleetops.alerts.models import Incident
from fleetops.db.metrics import add_observations

NOTIFY_BUCKETS_S = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


def alert_metrics(session: Session) -> Iterable[Metric]:
    found = measures(session)
    # merged incidents count too: an incident once opened stays opened, so the counter never goes down
    found["incidents_opened"] = session.scalar(select(func.count()).select_from(Incident))
    totals = CounterMetricFamily(
        "fleetops_alerts", "Alert path totals since the first alert", labels=["what"]
    )
    for what in (
        "alerts_in",
        "alerts_distinct",
        "incidents_opened",
        "pages_sent",
        "tickets_opened",
        "rejected_payloads",
    ):
        totals.add_metric([what], float(found[what] or 0))
    forwarded = CounterMetricFamily(
        "fleetops_alerts_forwarded", "Messages delivered to suppliers and customers", labels=["to"]
    )
    for to, value in found["forwarded"].items():
        forwarded.add_metric([to], float(value))
    suppressed = GaugeMetricFamily(
        "fleetops_alerts_suppressed",
        "Alerts in incidents held quiet, by reason (falls when such an incident is merged)",
        labels=["reason"],
    )
    for reason, value in found["suppressed_alerts_by_reason"].items():
        suppressed.add_metric([reason], float(value))
    outbox = GaugeMetricFamily("fleetops_alerts_outbox", "Outbox messages by status", labels=["status"])
    for status, value in found["outbox"].items():
        outbox.add_metric([status], float(value))
    reduction = GaugeMetricFamily("fleetops_alerts_page_reduction", "1 - pages / alerts (naive baseline)")
    reduction.add_metric([], float(found["page_reduction"] or 0))
    return [totals, forwarded, suppressed, outbox, _time_to_notify(session), reduction]


def _time_to_notify(session: Session) -> Metric:
    latency = HistogramMetricFamily(
        "fleetops_alerts_time_to_notify_seconds", "Incident opened to its first message sent"
    )
    rows = session.execute(
        select(Incident.opened_at, Incident.first_notified_at).where(Incident.first_notified_at.is_not(None))
    )
    seconds = ((notified - opened).total_seconds() for opened, notified in rows if notified)
    add_observations(latency, [], seconds, NOTIFY_BUCKETS_S)
    return latency
