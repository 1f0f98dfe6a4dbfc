"""The asset API's shapes at the edges: strict (an unknown field is refused, naming it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fleetops.assets.choices import AssetKind, AssetState, PartKind


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class OrderCreate(Strict):
    number: str = Field(min_length=1, max_length=100)
    vendor: str = Field(min_length=1, max_length=100)
    item: str = Field(min_length=1, max_length=200)
    quantity: int = Field(gt=0)
    unit_price: float = Field(ge=0)
    ordered_at: datetime
    site: str | None = None
    cluster: str | None = None
    external_id: str | None = None


class OrderRead(Strict):
    id: int
    number: str
    vendor: str
    item: str
    quantity: int
    unit_price: float
    ordered_at: datetime
    site: str | None
    cluster: str | None


class AssetRead(Strict):
    id: int
    serial: str
    kind: AssetKind
    model: str
    state: AssetState
    po: str
    asn: str | None
    site: str | None
    hostname: str | None
    ordered_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    received_at: datetime | None
    racked_at: datetime | None
    deployed_at: datetime | None
    retired_at: datetime | None


class TransitionRead(Strict):
    at: datetime
    actor: str
    from_state: str | None
    to_state: str
    reason: str


class AssetDetail(AssetRead):
    history: list[TransitionRead] = []


class MoveRequest(Strict):
    state: AssetState
    reason: str = Field(min_length=1, max_length=500)
    at: datetime | None = None
    site: str | None = None


class SpareSet(Strict):
    site: str
    part: str = Field(min_length=1, max_length=200)
    kind: PartKind
    stock: int = Field(ge=0)
    reorder_point: int = Field(ge=0)
    usage_per_day: float = Field(ge=0)


class SpareRead(Strict):
    site: str
    part: str
    kind: PartKind
    stock: int
    reorder_point: int
    usage_per_day: float
    projected_stockout: date | None
    reorder: bool


# What the repair, SLA, NetBox and trackability routes answer, declared for the OpenAPI document (the
# services build the dicts themselves; the API fuzz checks every answer against these).
class RepairOpened(BaseModel):
    id: int
    opened_at: datetime
    alert_fingerprint: str = Field(description="The alert the pipeline got for this ticket")


class RepairRead(BaseModel):
    id: int
    hostname: str
    reason: str
    opened_at: datetime
    opened_by: str
    routed_at: datetime | None = Field(description="When the alert pipeline put it in a team's outbox")
    receiver: str | None


class TimerStatus(BaseModel):
    what: str
    team: str
    limit_h: float
    subjects: int
    breached: int
    running: int


class BreachRead(BaseModel):
    timer: str
    subject: str
    team: str
    due_at: datetime
    routed: str


class SlaStatus(BaseModel):
    timers: dict[str, TimerStatus] = Field(description="Per timer name, its clocks now")
    breaches: list[BreachRead] = Field(description="The latest 200 breaches, newest first")


class DriftRead(BaseModel):
    kind: str = Field(description="missing_in_netbox, missing_in_fleetops, serial, placement, status, ...")
    object: str = Field(description="devices, gpus, racks, sites or cables")
    key: str
    detail: str


class CablingUpload(Strict):
    source: str = Field(min_length=1, max_length=300)
    format: Literal["csv", "json", "yaml"]
    content: str


class CablingImported(BaseModel):
    created: int
    updated: int
    unchanged: int


class PodCompleteness(BaseModel):
    pod: str
    nodes: int
    complete: int
    share: float
    cabling: str


class DriftReport(BaseModel):
    counts: dict[str, int]
    drift: list[DriftRead]
    completeness: list[PodCompleteness]


class ClusterLacking(BaseModel):
    cluster: str
    problems: list[str]


class Trackability(BaseModel):
    active: int
    trackable: int
    without_board_issue: int
    clusters: list[ClusterLacking]
