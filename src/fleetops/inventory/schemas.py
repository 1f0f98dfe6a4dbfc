"""Record shapes at the edges: the same record is an import line, an API create body and an export line.

References between records are by natural key (names, hostnames), never by surrogate id, so a file
written by one fleetops imports unchanged into another.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from fleetops.inventory.choices import ClusterState, NodeState, Orchestrator

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Hostname = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[A-Za-z0-9.\-_]+$")
]
Email = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class SupplierRecord(Record):
    name: Name
    contact_email: Email | None = None


class RegionRecord(Record):
    name: Name


class SiteRecord(Record):
    name: Name
    supplier: Name
    region: Name


class RackRecord(Record):
    name: Name
    site: Name
    pod: Name | None = None


class CustomerRecord(Record):
    name: Name
    contact_email: Email | None = None


class ContractRecord(Record):
    name: Name
    customer: Name
    start_date: date
    end_date: date
    gpu_count: int = Field(ge=0, le=10_000_000)
    price_per_gpu_hour: float = Field(ge=0, le=10_000)

    @model_validator(mode="after")
    def _dates_in_order(self) -> ContractRecord:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class ClusterRecord(Record):
    name: Name
    orchestrator: Orchestrator
    state: ClusterState = ClusterState.PLANNED
    supplier: Name | None = None
    site: Name | None = None
    customer: Name | None = None
    contract: Name | None = None


class GpuEntry(Record):
    index: int = Field(ge=0, le=63)
    uuid: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=64)]
    serial: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class NodeRecord(Record):
    hostname: Hostname
    serial: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    site: Name
    rack: Name
    position: int | None = Field(default=None, ge=0, le=100)
    bmc_address: Annotated[str, StringConstraints(max_length=200)] | None = None
    gpu_model: Name
    gpu_count: int = Field(default=8, ge=0, le=64)
    state: NodeState = NodeState.PLANNED
    cluster: Name | None = None
    gpus: list[GpuEntry] | None = None

    @model_validator(mode="after")
    def _gpus_agree(self) -> NodeRecord:
        if self.gpus is None:
            return self
        if len(self.gpus) != self.gpu_count:
            raise ValueError(f"gpu_count is {self.gpu_count} but {len(self.gpus)} GPUs are listed")
        indexes = [g.index for g in self.gpus]
        if len(set(indexes)) != len(indexes):
            raise ValueError("GPU indexes repeat")
        return self


class GpuRecord(Record):
    uuid: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=64)]
    node: Hostname
    index: int = Field(ge=0, le=63)
    serial: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class Document(Record):
    """A whole inventory (or any part of it), in dependency order."""

    suppliers: list[SupplierRecord] = []
    regions: list[RegionRecord] = []
    sites: list[SiteRecord] = []
    racks: list[RackRecord] = []
    customers: list[CustomerRecord] = []
    contracts: list[ContractRecord] = []
    clusters: list[ClusterRecord] = []
    nodes: list[NodeRecord] = []


def patch_model(record: type[Record]) -> type[BaseModel]:
    """The PATCH body of a record: every field optional, unknown fields still refused."""
    from pydantic import create_model

    fields: dict[str, Any] = {
        name: (Optional[info.annotation], None)  # noqa: UP045 - built at run time from a type object
        for name, info in record.model_fields.items()
    }
    return create_model(
        f"{record.__name__.removesuffix('Record')}Patch", __config__=record.model_config, **fields
    )


@cache
def read_model(record: type[Record], extra: tuple[str, ...] = ()) -> type[BaseModel]:
    """A record as the API answers it: its fields, the id and timestamps, and the kind's derived names
    (`extra`, e.g. a node's supplier). Fields the API adds later are ignored, so an older client reads a
    newer server."""
    from pydantic import create_model

    fields: dict[str, Any] = {
        "id": (int, ...),
        "created_at": (datetime, ...),
        "updated_at": (datetime, ...),
        **{name: (info.annotation, info) for name, info in record.model_fields.items() if name != "gpus"},
        **{name: (Optional[str], None) for name in extra},  # noqa: UP045 - built at run time
    }
    return create_model(
        f"{record.__name__.removesuffix('Record')}Read", __config__=ConfigDict(extra="ignore"), **fields
    )
