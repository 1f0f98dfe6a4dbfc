"""Add-on shapes at the edges (API, CLI, console)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from fleetops.addons.catalog import Addon
from fleetops.addons.states import State


class AddonRead(BaseModel):
    name: str
    description: str
    default: bool
    orchestrators: list[str]
    latest: str
    versions: list[dict[str, Any]]

    @classmethod
    def of(cls, addon: Addon) -> AddonRead:
        versions = [
            {"version": v.number, "schema": v.schema, "upgrade_from": sorted(v.upgrade_from)}
            for v in addon.versions.values()
        ]
        return cls(
            name=addon.name,
            description=addon.description,
            default=addon.default,
            orchestrators=[o.value for o in addon.orchestrators],
            latest=addon.latest.number,
            versions=versions,
        )


class StateRead(BaseModel):
    addon: str
    version: str
    enabled: bool
    supported: bool
    settings: dict[str, Any]
    updated_by: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, state: State) -> StateRead:
        return cls(**{k: getattr(state, k) for k in cls.model_fields})


class AddonChangeBody(BaseModel):
    """Fields left out keep their value; `settings` keys given replace those keys only."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    version: str | None = None
    settings: dict[str, Any] | None = None


class ChangeRead(BaseModel):
    state: StateRead
    diff: dict[str, list[Any]]


class CoverageRead(BaseModel):
    addon: str
    clusters: int
    enabled: int
    percent: float | None
