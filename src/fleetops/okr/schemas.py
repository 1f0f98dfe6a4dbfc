"""What the goals' routes answer, declared for the OpenAPI document (`scorecard.as_dict` builds the dict;
the API fuzz checks every answer against it)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from fleetops.okr.keyresults import KeyResult


class KeyResultRead(KeyResult):
    """A key result as declared (`keyresults.yaml`), with its current value and status."""

    value: float | None = Field(description="null: the records hold nothing to measure yet")
    records: str = Field(description="In words, the records the value was computed from")
    status: str


class PagerImported(BaseModel):
    pages: int = Field(description="Pages in the days the file covers")
