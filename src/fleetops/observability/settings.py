"""Observability settings: the Prometheus (or Mimir) that holds the fleet's series, what a customer may
ask of it through fleetops, and the unit prices the cost model turns capacity into dollars with."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Prices(BaseModel):
    """What capacity costs; defaults are a typical on-demand cloud price list, configurable per site."""

    model_config = ConfigDict(extra="forbid")
    cpu_core_hour: float = Field(default=0.0316, ge=0, description="$ per vCPU-hour")
    memory_gb_hour: float = Field(default=0.0042, ge=0, description="$ per GB of memory per hour")
    disk_gb_month: float = Field(default=0.08, ge=0, description="$ per GB of block storage per month")


class Observability(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prometheus_url: str = Field(
        default="http://127.0.0.1:9090", description="The Prometheus (or Mimir /prometheus) customers query"
    )
    query_timeout_s: float = Field(default=30, gt=0, le=300)
    query_rate_per_s: float = Field(
        default=5, ge=1, description="Queries a customer token may make per second (a bucket of this size)"
    )
    scrape_interval_s: float = Field(default=30, gt=0, description="The fleet's scrape interval")
    replication_factor: int = Field(default=3, ge=1, description="Mimir's -ingester.ring.replication-factor")
    headroom: float = Field(default=0.5, ge=0, description="Extra capacity for peaks (Mimir advises 50 %)")
    retention_days: int = Field(default=30, ge=1)
    prices: Prices = Prices()
