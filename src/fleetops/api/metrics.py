"""`/metrics` in Prometheus text format: fleet gauges computed at scrape time from the records.

Scorecards are queries over rows, never separately kept numbers, so each scrape reads the database
through the same summaries the console uses. Domains add families by appending to COLLECTORS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.orm import Session

from fleetops.alerts.metrics import alert_metrics
from fleetops.api.deps import PrincipalDep
from fleetops.auth.principal import SYSTEM
from fleetops.db.session import get_database
from fleetops.deploy.metrics import deploy_metrics
from fleetops.health.metrics import health_metrics
from fleetops.inventory.summary import summarize
from fleetops.remediation.measures import remediation_metrics

router = APIRouter(tags=["metrics"])


def inventory_metrics(session: Session) -> Iterable[Metric]:
    summary = summarize(session, SYSTEM)
    nodes = GaugeMetricFamily(
        "fleetops_nodes", "Nodes by supplier, cluster and lifecycle state", labels=["supplier", "state"]
    )
    gpus = GaugeMetricFamily(
        "fleetops_gpus", "GPUs by supplier and node lifecycle state", labels=["supplier", "state"]
    )
    for supplier, counts in summary.by_supplier.items():
        for state, value in counts.nodes.items():
            nodes.add_metric([supplier, state], value)
            gpus.add_metric([supplier, state], counts.gpus[state])
    clusters = GaugeMetricFamily(
        "fleetops_clusters",
        "Clusters by state and orchestrator",
        labels=["state", "orchestrator", "compliant"],
    )
    tally: dict[tuple[str, str, str], int] = {}
    for cluster in summary.clusters:
        key = (
            cluster["state"].value,
            cluster["orchestrator"].value,
            str(cluster["orchestrator"].compliant).lower(),
        )
        tally[key] = tally.get(key, 0) + 1
    for labels, value in sorted(tally.items()):
        clusters.add_metric(list(labels), value)
    return [nodes, gpus, clusters]


COLLECTORS: list[Callable[[Session], Iterable[Metric]]] = [
    inventory_metrics,
    health_metrics,
    alert_metrics,
    deploy_metrics,
    remediation_metrics,
]


class _Scrape:
    def collect(self) -> Iterable[Metric]:
        with get_database().transaction() as session:
            for collector in COLLECTORS:
                yield from collector(session)


@router.get("/metrics", include_in_schema=False)
def metrics(who: PrincipalDep) -> Response:
    """Authenticated like every endpoint: Prometheus sends a viewer token (`authorization` setting)."""
    who.require_staff()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape())  # type: ignore[arg-type]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
