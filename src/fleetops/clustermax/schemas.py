"""What the readiness routes answer, declared for the OpenAPI document (`Readiness.as_dict` builds the
dict; the API fuzz checks every answer against it)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ItemRead(BaseModel):
    key: str
    label: str
    verdict: str = Field(description="pass, fail or unknown")
    evidence: str = Field(description="The records behind the verdict, in words")


class ReadinessRead(BaseModel):
    cluster: str
    orchestrator: str
    state: str
    at: str = Field(description="When it was computed (ISO 8601)")
    verdict: str = Field(description="pass only when every item passes; one failure fails")
    passed: int
    items: list[ItemRead]
