"""What the Prometheus proxy answers, declared for the OpenAPI document: Prometheus's own query answer
(https://prometheus.io/docs/prometheus/latest/querying/api/#format-overview), passed on as it came, a
customer's confined to its own series."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class QueryData(BaseModel):
    model_config = ConfigDict(extra="allow")
    resultType: Literal["matrix", "vector", "scalar", "string"]  # Prometheus's name
    result: list[Any] = Field(
        description='Series ({"metric": {...}, "value": [t, "v"]} or "values": [[t, "v"], ...]), '
        'or [t, "v"] for a scalar or string'
    )


class QueryAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")  # warnings, infos, stats: whatever Prometheus adds
    status: Literal["success"]
    data: QueryData
