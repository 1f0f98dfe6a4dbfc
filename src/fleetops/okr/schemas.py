"""What the goals' routes answer, declared for the OpenAPI document (`scorecard.as_dict` builds the dict;
the API fuzz checks every answer against it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class KeyResultRead(BaseModel):
    id: str
    kr: str
    target: float
    unit: str
    better: Literal["higher", "lower"]
    source: str
    value: float | None = Field(description="null: the records hold nothing to measure yet")
    records: str = Field(description="In words, the records the value was computed from")
    status: str


class PagerImported(BaseModel):
    pages: int = Field(description="Pages in the days the file covers")
