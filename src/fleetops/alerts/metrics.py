"""Alert-path families for `/metrics`, computed at scrape time from the same measures as the API."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.orm import Session

from fleetops.alerts.service import measures


def alert_metrics(session: Session) -> Iterable[Metric]:
    found = measures(session)
    totals = GaugeMetricFamily("fleetops_alerts", "Alert path totals", labels=["what"])
    for what in (
        "alerts_in",
        "alerts_distinct",
        "incidents_opened",
        "pages_sent",
        "tickets_opened",
        "rejected_payloads",
    ):
        totals.add_metric([what], float(found[what] or 0))
    forwarded = GaugeMetricFamily("fleetops_alerts_forwarded", "Messages delivered to", labels=["to"])
    for to, value in found["forwarded"].items():
        forwarded.add_metric([to], float(value))
    suppressed = GaugeMetricFamily(
        "fleetops_alerts_suppressed", "Suppressed alerts by reason", labels=["reason"]
    )
    for reason, value in found["suppressed_alerts_by_reason"].items():
        suppressed.add_metric([reason], float(value))
    outbox = GaugeMetricFamily("fleetops_alerts_outbox", "Outbox messages by status", labels=["status"])
    for status, value in found["outbox"].items():
        outbox.add_metric([status], float(value))
    latency = GaugeMetricFamily(
        "fleetops_alerts_time_to_notify_seconds", "First alert to first message", labels=["quantile"]
    )
    for name, q in (("median", "0.5"), ("p99", "0.99")):
        if found["time_to_notify_s"][name] is not None:
            latency.add_metric([q], float(found["time_to_notify_s"][name]))
    reduction = GaugeMetricFamily("fleetops_alerts_page_reduction", "1 - pages / alerts (naive baseline)")
    reduction.add_metric([], float(found["page_reduction"] or 0))
    return [totals, forwarded, suppressed, outbox, latency, reduction]
