"""What the scorecard routes answer, declared for the OpenAPI document (`export.as_dict` and the routes
build the dicts; the API fuzz checks every answer against these). Times are ISO 8601 text, as written."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PeriodRead(BaseModel):
    start: str
    end: str


class StandingRead(BaseModel):
    """Where the supplier stands against the latest requirements version (none published: all null)."""

    version: int | None
    acknowledged_by: str | None
    acknowledged_at: str | None
    flagged: bool = Field(description="A version is published and not acknowledged")


class MetricRead(BaseModel):
    name: str
    label: str
    unit: str
    value: float | None
    basis: str = Field(description="In words, the records the value was computed from")
    rating: str
    previous: float | None
    previous_basis: str
    trend: str


class ScorecardRead(BaseModel):
    supplier: str
    period: PeriodRead
    rating: str = Field(description="The worst rated metric's rating")
    requirements: StandingRead
    metrics: list[MetricRead]


class RequirementRead(BaseModel):
    version: int
    title: str
    body: str
    published_by: str
    published_at: str


class RequirementAcknowledged(BaseModel):
    version: int
    acknowledged_by: str
    at: str


class IncidentAcknowledged(BaseModel):
    incident: int
    acknowledged_at: str
