"""The charts of the console's metrics page: a customer's fleet system health over time, each line one
PromQL range query run as the customer through the tenant proxy (`proxy.ask`), never around it.

Every customer sees its GPUs (healthy, and unhealthy: an uncorrectable ECC error since the last reset),
its FSH coverage (nodes whose agent Prometheus scrapes, over the nodes expected to report) and its
agents' findings by severity. Temperatures, power and ECC counts per cluster are drawn for the clusters
where the advanced-metrics add-on is on, and only for them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fleetops.metrics_proxy import proxy
from fleetops.metrics_proxy.promql import Tenant, alternatives
from fleetops.web.charts import Chart, Series

# The windows a viewer may pick, and about how many points a line gets (one range query step each).
WINDOWS_S = {"15m": 900, "1h": 3600, "6h": 21600, "24h": 86400, "7d": 604800}
DEFAULT_WINDOW = "6h"
POINTS = 240
PALETTE = ("blue", "orange", "green", "red", "grey", "yellow")
ECC = "fleetops_agent_gpu_ecc_uncorrected_volatile"


@dataclass(frozen=True)
class Line:
    label: str  # for a line per cluster (`by` in the query), the cluster's name replaces it
    query: str  # `{clusters}`: the advanced clusters' regex; `{expected}`: nodes expected to report
    colour: str = "blue"


@dataclass(frozen=True)
class Plot:
    id: str
    title: str
    lines: tuple[Line, ...]
    unit: str = ""
    advanced: bool = False


PLOTS = (
    Plot(
        "gpus",
        "GPUs healthy and unhealthy",
        (
            Line("Healthy", f"count({ECC} == 0) or vector(0)", "green"),
            Line("Unhealthy (uncorrectable ECC)", f"count({ECC} > 0) or vector(0)", "red"),
        ),
    ),
    Plot(
        "coverage",
        "FSH coverage: nodes reporting",
        (Line("Coverage", "(count(fleetops_agent_gpus_visible) or vector(0)) * 100 / {expected}", "green"),),
        "%",
    ),
    Plot(
        "findings",
        "Agent findings by severity",
        (
            Line("Critical", 'sum(fleetops_agent_findings{{severity="critical"}}) or vector(0)', "red"),
            Line("Warning", 'sum(fleetops_agent_findings{{severity="warning"}}) or vector(0)', "orange"),
        ),
    ),
    Plot(
        "temperature",
        "Hottest GPU per cluster",
        (Line("", 'max by (cluster) (fleetops_agent_gpu_temperature_celsius{{cluster=~"{clusters}"}})'),),
        "°C",
        advanced=True,
    ),
    Plot(
        "power",
        "GPU power per cluster",
        (Line("", 'sum by (cluster) (fleetops_agent_gpu_power_watts{{cluster=~"{clusters}"}})'),),
        "W",
        advanced=True,
    ),
    Plot(
        "ecc",
        "Uncorrectable ECC errors per cluster",
        (Line("", "sum by (cluster) (" + ECC + '{{cluster=~"{clusters}"}})'),),
        advanced=True,
    ),
)


@dataclass(frozen=True)
class Span:
    """A range query's start, end and step in Prometheus's time (the real time: its samples carry it)."""

    start: int
    end: int
    step: int

    @classmethod
    def last(cls, seconds: int, now: float | None = None) -> Span:
        step = max(1, math.ceil(seconds / POINTS))
        end = int(now if now is not None else time.time()) // step * step
        return cls(end - seconds, end, step)

    def grid(self) -> list[int]:
        return list(range(self.start, self.end + 1, self.step))


def _lines(line: Line, result: list[dict[str, Any]], grid: list[int]) -> list[Series]:
    """One Series per answer series (a line per cluster, else the line's own label), on the grid."""
    at = {t: i for i, t in enumerate(grid)}
    out = []
    for n, found in enumerate(sorted(result, key=lambda s: s.get("metric", {}).get("cluster", ""))):
        values: list[float | None] = [None] * len(grid)
        for t, v in found.get("values", []):
            if int(float(t)) in at and v not in ("NaN", "+Inf", "-Inf"):
                values[at[int(float(t))]] = round(float(v), 2)
        label = line.label or found.get("metric", {}).get("cluster", "")
        colour = line.colour if line.label else PALETTE[n % len(PALETTE)]
        out.append(Series(label, values, colour))
    return out


def charts(tenant: Tenant, span: Span, expected: int) -> list[tuple[Plot, Chart]]:
    """Each plot the tenant has (advanced ones once a cluster runs the add-on), drawn from Prometheus
    with the tenant's queries confined to its series (staff picking a customer see what it sees)."""
    shown = [p for p in PLOTS if not p.advanced or tenant.advanced_clusters]
    clusters = alternatives(tenant.advanced_clusters)
    out = []
    for plot in shown:
        series: list[Series] = []
        for line in plot.lines:
            query = line.query.format(clusters=clusters, expected=max(expected, 1))
            params = {"query": query, "start": str(span.start), "end": str(span.end), "step": str(span.step)}
            answer = proxy.ask("/api/v1/query_range", params, tenant)
            series += _lines(line, answer.get("data", {}).get("result", []), span.grid())
        x = [datetime.fromtimestamp(t, UTC) for t in span.grid()]
        out.append((plot, Chart(x=x, series=series, unit=plot.unit)))
    return out
