"""Shapes at the health API's edge: what a report POST answers, for the OpenAPI page and the agent."""

from __future__ import annotations

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
