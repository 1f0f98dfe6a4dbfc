"""Per-customer Grafana dashboards as JSON, with the provisioning files that load them into the
customer's own Grafana: a Prometheus data source pointed at fleetops' tenant proxy with the customer's
token (from the environment, never written in a file), and a file provider the customer may edit from
when the advanced-metrics add-on's `dashboards.editable` allows it (locked dashboards are read-only).

Fleet system health panels are every customer's; node-exporter panels appear once a cluster of theirs
runs the advanced-metrics add-on. Each panel's query is what the proxy confines to the tenant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

from fleetops.metrics_proxy.promql import Tenant

DATASOURCE = {"type": "prometheus", "uid": "fleetops"}
DASHBOARDS_PATH = "/var/lib/grafana/dashboards/fleetops"


@dataclass(frozen=True)
class Panel:
    title: str
    expr: str
    unit: str
    advanced: bool = False


PANELS = (
    Panel(
        "GPU temperature (hottest per node)",
        "max by (node) (fleetops_agent_gpu_temperature_celsius)",
        "celsius",
    ),
    Panel("GPU power per node", "sum by (node) (fleetops_agent_gpu_power_watts)", "watt"),
    Panel("GPU utilization per node", "avg by (node) (fleetops_agent_gpu_utilization_ratio)", "percentunit"),
    Panel("Uncorrectable ECC errors", "sum by (node) (fleetops_agent_gpu_ecc_uncorrected_volatile)", "short"),
    Panel("GPUs visible per cluster", "sum by (cluster) (fleetops_agent_gpus_visible)", "short"),
    Panel(
        "CPU busy", '1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle"}[1m]))', "percentunit", True
    ),
    Panel("Memory available", "sum by (node) (node_memory_MemAvailable_bytes)", "bytes", True),
    Panel("Load (1 min)", "max by (node) (node_load1)", "short", True),
)


def panels(tenant: Tenant) -> list[Panel]:
    return [p for p in PANELS if tenant.advanced_clusters or not p.advanced]


def dashboard(tenant: Tenant, editable: bool) -> dict[str, Any]:
    shown = []
    for i, panel in enumerate(panels(tenant)):
        shown.append(
            {
                "id": i + 1,
                "type": "timeseries",
                "title": panel.title,
                "datasource": DATASOURCE,
                "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
                "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                "targets": [{"refId": "A", "datasource": DATASOURCE, "expr": panel.expr}],
            }
        )
    return {
        "uid": f"fleetops-{tenant.customer}"[:40],
        "title": f"{tenant.customer}: fleet system health"
        + (" and node metrics" if tenant.advanced_clusters else ""),
        "tags": ["fleetops"],
        "editable": editable,
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "panels": shown,
    }


def provisioning(tenant: Tenant, server: str, editable: bool) -> dict[str, str]:
    """`{path: text}` for a Grafana's provisioning directory and its dashboards directory; `editable`
    (the add-on's `dashboards.editable`) sets both the dashboard's flag and the provider's UI updates."""
    datasource = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "fleetops",
                "uid": DATASOURCE["uid"],
                "type": "prometheus",
                "access": "proxy",
                "url": f"{server.rstrip('/')}/api/v1/prometheus",
                "jsonData": {"httpMethod": "POST", "httpHeaderName1": "Authorization"},
                "secureJsonData": {"httpHeaderValue1": "Bearer ${FLEETOPS_TOKEN}"},
                "editable": False,
            }
        ],
    }
    provider = {
        "apiVersion": 1,
        "providers": [
            {
                "name": "fleetops",
                "folder": "fleetops",
                "type": "file",
                "allowUiUpdates": editable,
                "options": {"path": DASHBOARDS_PATH},
            }
        ],
    }
    return {
        "provisioning/datasources/fleetops.yaml": yaml.safe_dump(datasource, sort_keys=False),
        "provisioning/dashboards/fleetops.yaml": yaml.safe_dump(provider, sort_keys=False),
        f"dashboards/fleetops/{tenant.customer}.json": json.dumps(dashboard(tenant, editable), indent=2)
        + "\n",
    }
