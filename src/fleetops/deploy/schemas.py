"""Deploy shapes at the edges (API and CLI): plan requests, rollout status, the human queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class PlanCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    cluster: str = Field(min_length=1, max_length=100)
    image: str = Field(default="", max_length=200, description="The OS image to provision")
    profile: str = Field(
        default="", max_length=100, description="Hardening profile: k8s-cis, slurm-on-k8s-cis"
    )
    hostnames: list[str] = Field(default_factory=list, description="Nodes by hostname, or:")
    pod: str | None = Field(default=None, description="every racked node of this pod's racks")


class Reason(BaseModel):
    why: str = Field(default="", max_length=500)


class RolloutRead(BaseModel):
    name: str
    cluster: str
    image: str
    profile: str
    state: str
    created_by: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counts: dict[str, int]
    nodes: int
    ready: int
    gpus: int
    gpus_ready: int
    gpus_per_hour: float
    gpus_per_hour_rolling: float
    eta_s: int | None = None
    share_needing_human: float | None = None
    failures: int
    recovered_automatically: int
    escalations: int
    share_recovered_automatically: float | None = None
    node_ready_s_median: float | None = None
    node_ready_s_p95: float | None = None
    rollout_ready_s: float | None = None


class RolloutSummary(BaseModel):
    name: str
    state: str
    cluster: str


class HumanQueueItem(BaseModel):
    hostname: str
    rollout: str
    failed_step: str | None
    failures: int
    last_error: str | None
    evidence: dict[str, Any]
    since: datetime


class DecommissionCreate(BaseModel):
    cluster: str
    why: str = Field(default="contract ended", max_length=500)


class DecommissionRead(BaseModel):
    cluster: str
    state: str
    requested_by: str
    requested_at: datetime
    deadline_at: datetime
    finished_at: datetime | None = None
    nodes_released: int
    within_deadline: bool | None = None
    last_error: str | None = None
