"""What the emergency-update routes answer, declared for the OpenAPI document (`service.summary` builds
the dict; the API fuzz checks every answer against it)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class StepRead(BaseModel):
    """One node's step, as the post-incident review reads it."""

    at: datetime
    hostname: str
    from_: str = Field(alias="from")
    to: str
    why: str


class UpdateRead(BaseModel):
    name: str
    bulletin: str
    state: str
    max_drained: int = Field(description="The blast-radius cap: nodes out of service at once")
    nodes: dict[str, int] = Field(description="Nodes per step state")
    started_at: datetime | None
    finished_at: datetime | None
    reason: str | None = Field(description="Why it paused")
    timeline: list[StepRead] | None = Field(None, description="Every step (with ?timeline=true)")
