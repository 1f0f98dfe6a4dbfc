"""What the access review calls production, who counts as ops, and how long a session may last: data,
given with each import so a review is reproducible from its files and this policy alone."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReviewPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    production_tags: list[str] = Field(
        default=["tag:prod"], description="Tailscale tags carried by production devices."
    )
    production_labels: dict[str, str] = Field(
        default={"env": "prod"}, description="Teleport node labels every production node carries."
    )
    ops_roles: list[str] = Field(
        default=["ops", "sre"], description="Directory roles allowed standing production access."
    )
    max_session_hours: float = Field(default=12, gt=0)
