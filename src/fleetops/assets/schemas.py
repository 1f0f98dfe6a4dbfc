"""The asset API's shapes at the edges: strict (an unknown field is refused, naming it)."""

from __future__ import annotations

from datetime import date, datetime

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
