"""Security incident shapes at the edges (API, CLI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fleetops.security.incidents.choices import IncidentRole, IncidentState, Priority


class IncidentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=3, max_length=200)
    priority: Priority
    summary: str = Field(default="", max_length=5000)
    confidential: bool = Field(default=False, description="Only security tokens see it (and may set this).")
    customers: str = Field(default="", max_length=500, description="Who the notices address.")


class IncidentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str | None = Field(default=None, max_length=5000)
    root_cause: str | None = Field(default=None, max_length=5000)
    customers: str | None = Field(default=None, max_length=500)
    priority: Priority | None = None
    confidential: bool | None = None


class Move(BaseModel):
    state: IncidentState
    why: str = Field(default="", max_length=500)


class Assign(BaseModel):
    role: IncidentRole
    person: str = Field(min_length=1, max_length=200)


class NoteCreate(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    public: bool = Field(default=False, description="Quoted in the customers' next update.")


class NoticeSend(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customers: list[str] = Field(
        default=[], description="Inventory customer names; default: the incident's own customers"
    )


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: datetime
    actor: str
    kind: str
    from_state: str | None
    to_state: str | None
    text: str
    public: bool


class IncidentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    key: str
    title: str
    summary: str
    priority: str
    state: str
    confidential: bool
    customers: str
    declared_by: str
    declared_at: datetime
    responded_at: datetime | None
    contained_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    commander: str | None
    communications: str | None
    technical_lead: str | None
    root_cause: str


class IncidentDetail(IncidentRead):
    sla: dict[str, Any] = {}
    timeline: list[EventRead] = []


class NoticeRead(BaseModel):
    """A customer notice queued for an incident, with where its delivery stands (the outbox row)."""

    id: int
    notice: str
    customer: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    queued_at: datetime
    delivered_at: datetime | None
    last_error: str | None
