"""Access review shapes at the edges (API, CLI): the files to import, snapshots, the report, requests
and the quarterly checklist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fleetops.security.access.choices import ReviewDecision
from fleetops.security.access.policy import ReviewPolicy


class FileBody(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="The file's name, quoted in any refusal.")
    text: str = Field(max_length=5_000_000)


class ImportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tailnet: FileBody = Field(description="The Tailscale policy file (HuJSON).")
    teleport_roles: FileBody = Field(description="`tctl get roles` output (YAML).")
    users: FileBody = Field(description="The directory: CSV with user,name,role,teleport_roles,mfa.")
    policy: ReviewPolicy = ReviewPolicy()


class SnapshotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    taken_at: datetime
    taken_by: str
    baseline: bool
    sources: dict[str, Any]
    summary: dict[str, Any]


class ReachRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    user: str
    role: str | None
    system: str
    via: str
    target: str
    login: str | None
    standing: bool
    wildcard: bool
    session_hours: float | None


class FlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    user: str
    kind: str
    detail: str


class ReportRead(BaseModel):
    snapshot: SnapshotRead
    reaches: list[ReachRead]
    flags: list[FlagRead]
    reduction: dict[str, Any]


class RequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=3, max_length=200)
    system: str = Field(description="teleport or tailscale")
    access: str = Field(min_length=1, max_length=200, description="A Teleport role or a Tailscale group.")
    reason: str = Field(min_length=3, max_length=500)
    hours: float = Field(gt=0, le=72, description="How long the grant lasts once granted (at most 72 h).")


class Why(BaseModel):
    why: str = Field(default="", max_length=500)


class RequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user: str
    system: str
    access: str
    reason: str
    hours: float
    state: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    expires_at: datetime | None
    ended_at: datetime | None


class ReviewCreate(BaseModel):
    quarter: str = Field(description="e.g. 2026-Q1")


class ItemDecision(BaseModel):
    decision: ReviewDecision
    note: str = Field(default="", max_length=500)


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    position: int
    text: str
    user: str | None
    decision: str
    decided_by: str | None
    decided_at: datetime | None
    note: str


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    quarter: str
    snapshot_id: int
    opened_by: str
    opened_at: datetime
    signed_off_by: str | None
    signed_off_at: datetime | None
    items: list[ItemRead] = []
