"""Prometheus families for fleet health, computed at scrape time from the health rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.auth.principal import SYSTEM
from fleetops.health.choices import HealthState
from fleetops.health.coverage import coverage
from fleetops.health.models import GpuHealth, HealthFinding, HealthRejection, HealthReport, NodeHealth
from fleetops.inventory.models import Cluster, Node, Rack, Site, Supplier

RATE_WINDOW_S = 300.0


def _by_supplier_cluster(session: Session, table: Any, join_on: Any) -> Iterable[tuple[str, str, str, int]]:
    stmt = (
        select(Supplier.name, func.coalesce(Cluster.name, "(unassigned)"), table.state, func.count())
        .select_from(table)
        .join(Node, join_on)
        .join(Rack, Node.rack_id == Rack.id)
        .join(Site, Rack.site_id == Site.id)
        .join(Supplier, Site.supplier_id == Supplier.id)
        .outerjoin(Cluster, Node.cluster_id == Cluster.id)
        .group_by(Supplier.name, Cluster.name, table.state)
    )
    return [tuple(row) for row in session.execute(stmt)]


def health_metrics(session: Session) -> Iterable[Metric]:
    """Node and GPU health by state, open findings, FSH coverage, ingest rate and refusals."""
    labels = ["supplier", "cluster", "state"]
    nodes = GaugeMetricFamily("fleetops_health_nodes", "Nodes by health state", labels=labels)
    for row in _by_supplier_cluster(session, NodeHealth, Node.id == NodeHealth.node_id):
        nodes.add_metric(list(row[:3]), row[3])
    gpus = GaugeMetricFamily("fleetops_health_gpus", "GPUs by health state", labels=labels)
    for row in _by_supplier_cluster(session, GpuHealth, Node.id == GpuHealth.node_id):
        gpus.add_metric(list(row[:3]), row[3])
    findings = GaugeMetricFamily(
        "fleetops_health_findings_open", "Open findings by check and severity", labels=["check", "severity"]
    )
    for check, severity, count in session.execute(
        select(HealthFinding.check, HealthFinding.severity, func.count())
        .where(HealthFinding.resolved_at.is_(None))
        .group_by(HealthFinding.check, HealthFinding.severity)
    ):
        findings.add_metric([check, severity], count)
    cover = coverage(session, SYSTEM)
    share = GaugeMetricFamily(
        "fleetops_health_coverage_ratio",
        "Share of nodes in active clusters that reported within 5 minutes",
        labels=["scope", "name"],
    )
    share.add_metric(["fleet", "fleet"], cover.fleet.share or 0.0)
    for scope, shares in (("cluster", cover.clusters), ("supplier", cover.suppliers)):
        for name, item in shares.items():
            share.add_metric([scope, name], item.share or 0.0)
    silent = GaugeMetricFamily(
        "fleetops_health_nodes_silent", "Nodes in active clusters with no recent report", labels=["cluster"]
    )
    for name, item in cover.clusters.items():
        silent.add_metric([name], item.expected - item.reporting)
    return [nodes, gpus, findings, share, silent, *_rates(session)]


def _rates(session: Session) -> list[Metric]:
    cutoff = clock.now() - timedelta(seconds=RATE_WINDOW_S)
    received = session.scalar(
        select(func.count()).select_from(HealthReport).where(HealthReport.received_at >= cutoff)
    )
    rate = GaugeMetricFamily(
        "fleetops_health_reports_per_second", "Reports accepted per second, last 5 minutes"
    )
    rate.add_metric([], (received or 0) / RATE_WINDOW_S)
    refused = GaugeMetricFamily(
        "fleetops_health_rejections_recent", "Reports refused in the last 5 minutes", labels=["reason"]
    )
    for reason, count in session.execute(
        select(HealthRejection.reason, func.count())
        .where(HealthRejection.received_at >= cutoff)
        .group_by(HealthRejection.reason)
    ):
        refused.add_metric([reason], count)
    unhealthy = GaugeMetricFamily("fleetops_health_unhealthy_gpus", "GPUs currently unhealthy")
    unhealthy.add_metric(
        [],
        session.scalar(
            select(func.count()).select_from(GpuHealth).where(GpuHealth.state == HealthState.UNHEALTHY.value)
        )
        or 0,
    )
    return [rate, refused, unhealthy]
