"""Shapes at the health API's edge: what a report POST answers, for the OpenAPI page and the agent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ReportOutcomeRead(BaseModel):
    index: int = Field(description="Position of the report in the posted batch")
    outcome: str = Field(description="accepted, duplicate or rejected")
    report_id: str | None = None
    hostname: str | None = None
    detail: str = ""
    node_state: str | None = Field(None, description="The node's health after this batch (accepted reports)")


class IngestRead(BaseModel):
    accepted: int
    duplicate: int
    rejected: int
    results: list[ReportOutcomeRead]
    requests: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict,
        description='Per node of the batch, what its agent is asked to do: [{"kind": "qualify", "id": 12, '
        '"duration_s": 60}, {"kind": "reset_gpu", "id": 13, "gpu_index": 3}] (null: every GPU)',
    )


# What the health reads answer, declared for the OpenAPI document (the routes build the dicts themselves;
# the API fuzz checks every answer against these).
class GpuHealthRead(BaseModel):
    index: int
    uuid: str | None
    state: str
    since: datetime | None
    why: str


class FindingRead(BaseModel):
    id: int
    hostname: str
    node_id: int
    gpu_index: int | None
    check: str
    severity: str
    xid: int | None
    title: str
    action: str | None
    owner: str | None
    summary: str | None
    source: str | None
    reported_by: str | None
    report_id: str | None
    count: int
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    resolved_why: str | None
    open: bool


class ChangeRead(BaseModel):
    at: datetime
    actor: str | None
    gpu_id: int | None
    from_: str | None = Field(alias="from")
    to: str
    why: str | None


class NodeHealthRead(BaseModel):
    node_id: int
    hostname: str
    lifecycle: str
    state: str
    since: datetime | None
    why: str | None
    last_report_at: datetime | None
    gpus: list[GpuHealthRead]
    findings: list[FindingRead]
    changes: list[ChangeRead]


class FindingPage(BaseModel):
    items: list[FindingRead]
    next_cursor: int | None = None


class Share(BaseModel):
    name: str
    expected: int
    reporting: int
    silent: int
    share: float | None


class CoverageRead(BaseModel):
    at: datetime
    window_s: float
    fleet: Share
    clusters: list[Share]
    suppliers: list[Share]


class CauseRead(BaseModel):
    state: str
    cause: str
    gpus: int


class SummaryRead(BaseModel):
    nodes: dict[str, int]
    gpus: dict[str, int]
    gpus_by_cause: list[CauseRead]
    open_findings: dict[str, int]
    open_findings_by_check: dict[str, int]
    coverage: Share
    clusters: list[Share]


class RejectionRead(BaseModel):
    id: int
    received_at: datetime
    actor: str | None
    reason: str
    detail: str
    report_id: str | None
    hostname: str | None


class RejectionPage(BaseModel):
    items: list[RejectionRead]


class QualifyAccepted(BaseModel):
    id: int
    node_id: int
    hostname: str
    duration_s: float


class AgentRequestRead(BaseModel):
    id: int
    kind: str
    gpu_index: int | None
    duration_s: float | None
    requested_at: datetime
    requested_by: str | None
    reason: str | None
    open: bool
    closed_at: datetime | None
    outcome: str | None
    detail: str | None
    result_id: int | None


class AgentRequestsRead(BaseModel):
    node_id: int
    hostname: str
    requests: list[AgentRequestRead]


class QualificationsRead(AgentRequestsRead):
    results: list[dict[str, Any]]


class RelayedAnswer(BaseModel):
    status: int = Field(description="The status the agent's POST is answered")
    body: dict[str, Any] = Field(description="Its body: the batch's outcome (IngestRead) or a problem")


class RelayRead(BaseModel):
    answers: list[RelayedAnswer] = Field(description="Per forwarded POST, in the order they came")
