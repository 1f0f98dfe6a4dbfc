"""A node's last GPU telemetry for its console page, read from the fleet's Prometheus (the agents' own
/metrics, scraped with the hostname as the `node` target label): temperature, power and uncorrectable
ECC per GPU over the last hour, the latest value and a sparkline of each.

The control plane keeps conclusions, not readings, so the readings are read where they are kept. One
range query per page; an unreachable Prometheus leaves the page working and says why in its place."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fleetops.errors import FleetopsError
from fleetops.metrics_proxy import upstream

WINDOW_S = 3600
STEP_S = 60
# The agent's gauges (fleetops.agent.metrics.AgentMetrics) → the page's column and unit.
GAUGES = {
    "fleetops_agent_gpu_temperature_celsius": ("temperature", "°C"),
    "fleetops_agent_gpu_power_watts": ("power", "W"),
    "fleetops_agent_gpu_ecc_uncorrected_volatile": ("ecc", ""),
}


@dataclass(frozen=True, slots=True)
class Reading:
    latest: float
    unit: str
    points: str  # an SVG polyline in a 100 × 20 box

    @property
    def text(self) -> str:
        return f"{self.latest:,.0f}{' ' + self.unit if self.unit else ''}"


@dataclass(slots=True)
class Telemetry:
    gpus: dict[int, dict[str, Reading]] = field(default_factory=dict)
    unavailable: str | None = None


def sparkline(values: list[float]) -> str:
    """Points of a polyline through `values`, scaled to a 100 × 20 box (a flat line sits in the middle)."""
    low, high = min(values), max(values)
    span = high - low
    step = 100 / max(1, len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{(10.0 if span == 0 else 19 - (v - low) / span * 18):.1f}"
        for i, v in enumerate(values)
    )


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def node_telemetry(hostname: str) -> Telemetry:
    # Prometheus stamps samples with the real time, so the window is the real time too (not clock.now(),
    # which the simulator may run fast).
    end = time.time()
    names = "|".join(GAUGES)
    params = {
        "query": f'{{__name__=~"{names}",node={_quoted(hostname)}}}',
        "start": f"{end - WINDOW_S:.0f}",
        "end": f"{end:.0f}",
        "step": str(STEP_S),
    }
    try:
        body = upstream.current().get("/api/v1/query_range", params)
    except FleetopsError as exc:
        return Telemetry(unavailable=exc.message)
    return Telemetry(_readings(body.get("data", {}).get("result", [])))


def _readings(result: list[dict[str, Any]]) -> dict[int, dict[str, Reading]]:
    out: dict[int, dict[str, Reading]] = {}
    for series in result:
        metric, values = series.get("metric", {}), [float(v) for _, v in series.get("values", [])]
        gauge = GAUGES.get(metric.get("__name__", ""))
        if gauge is None or not values or not str(metric.get("gpu", "")).isdigit():
            continue
        column, unit = gauge
        out.setdefault(int(metric["gpu"]), {})[column] = Reading(values[-1], unit, sparkline(values))
    return out
