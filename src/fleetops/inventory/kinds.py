"""One table describing every inventory kind: its record, natural key, references and read view.

The importer, the exporter, the API and the console all work from this table, so a kind is added in
one place and behaves the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import aliased

from fleetops.inventory import schemas
from fleetops.inventory.models import Cluster, Contract, Customer, Gpu, Node, Rack, Region, Site, Supplier

OUTER = True  # marks a join as a LEFT OUTER JOIN in `Kind.joins`
SiteSupplier = aliased(Supplier)
ClusterCustomer = aliased(Customer)


@dataclass(frozen=True)
class Ref:
    """A record field (or fields) naming another kind's key, stored as that kind's id in `column`."""

    column: str
    target: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Kind:
    name: str
    plural: str
    model: Any  # a mapped class; Any so its columns type-check as SQL expressions
    record: type[schemas.Record]
    key: tuple[str, ...]
    view_columns: tuple[Any, ...]
    joins: tuple[tuple[Any, ...], ...] = ()
    refs: tuple[Ref, ...] = ()
    unique: tuple[str, ...] = ()
    filters: dict[str, Any] = field(default_factory=dict)
    extra: tuple[str, ...] = ()

    @cached_property
    def record_fields(self) -> tuple[str, ...]:
        return tuple(f for f in self.record.model_fields if f != "gpus")

    def view(self) -> Select[Any]:
        """The labelled read view: record fields by name, plus id and derived columns."""
        stmt = select(*self.view_columns).select_from(self.model)
        for target, onclause, *outer in self.joins:
            stmt = stmt.join(target, onclause, isouter=bool(outer))
        return stmt

    def key_of(self, row: Any) -> tuple[Any, ...]:
        return tuple(row[k] for k in self.key)

    def key_columns(self) -> list[ColumnElement[Any]]:
        by_label = {c.key: c for c in self.view_columns}
        return [by_label[k] for k in self.key]


def _cols(model: Any, *names: str) -> tuple[ColumnElement[Any], ...]:
    return tuple(getattr(model, n).label(n) for n in names)


def _stamps(model: Any) -> tuple[ColumnElement[Any], ...]:
    return _cols(model, "id", "created_at", "updated_at")


KINDS: dict[str, Kind] = {}


def _register(kind: Kind) -> None:
    KINDS[kind.name] = kind


_register(
    Kind(
        "supplier",
        "suppliers",
        Supplier,
        schemas.SupplierRecord,
        ("name",),
        (*_stamps(Supplier), *_cols(Supplier, "name", "contact_email")),
    )
)
_register(
    Kind(
        "region",
        "regions",
        Region,
        schemas.RegionRecord,
        ("name",),
        (*_stamps(Region), *_cols(Region, "name")),
    )
)
_register(
    Kind(
        "site",
        "sites",
        Site,
        schemas.SiteRecord,
        ("name",),
        (*_stamps(Site), *_cols(Site, "name"), Supplier.name.label("supplier"), Region.name.label("region")),
        joins=((Supplier, Site.supplier_id == Supplier.id), (Region, Site.region_id == Region.id)),
        refs=(Ref("supplier_id", "supplier", ("supplier",)), Ref("region_id", "region", ("region",))),
        filters={"supplier": Supplier.name, "region": Region.name},
    )
)
_register(
    Kind(
        "rack",
        "racks",
        Rack,
        schemas.RackRecord,
        ("site", "name"),
        (
            *_stamps(Rack),
            *_cols(Rack, "name", "pod"),
            Site.name.label("site"),
            Supplier.name.label("supplier"),
        ),
        joins=((Site, Rack.site_id == Site.id), (Supplier, Site.supplier_id == Supplier.id)),
        refs=(Ref("site_id", "site", ("site",)),),
        filters={"site": Site.name, "supplier": Supplier.name, "pod": Rack.pod},
        extra=("supplier",),
    )
)
_register(
    Kind(
        "customer",
        "customers",
        Customer,
        schemas.CustomerRecord,
        ("name",),
        (*_stamps(Customer), *_cols(Customer, "name", "contact_email")),
    )
)
_register(
    Kind(
        "contract",
        "contracts",
        Contract,
        schemas.ContractRecord,
        ("name",),
        (
            *_stamps(Contract),
            *_cols(Contract, "name", "start_date", "end_date", "gpu_count", "price_per_gpu_hour"),
            Customer.name.label("customer"),
        ),
        joins=((Customer, Contract.customer_id == Customer.id),),
        refs=(Ref("customer_id", "customer", ("customer",)),),
        filters={"customer": Customer.name},
    )
)
_register(
    Kind(
        "cluster",
        "clusters",
        Cluster,
        schemas.ClusterRecord,
        ("name",),
        (
            *_stamps(Cluster),
            *_cols(Cluster, "name", "orchestrator", "state"),
            Supplier.name.label("supplier"),
            Site.name.label("site"),
            Customer.name.label("customer"),
            Contract.name.label("contract"),
        ),
        joins=(
            (Supplier, Cluster.supplier_id == Supplier.id, OUTER),
            (Site, Cluster.site_id == Site.id, OUTER),
            (Customer, Cluster.customer_id == Customer.id, OUTER),
            (Contract, Cluster.contract_id == Contract.id, OUTER),
        ),
        refs=(
            Ref("supplier_id", "supplier", ("supplier",)),
            Ref("site_id", "site", ("site",)),
            Ref("customer_id", "customer", ("customer",)),
            Ref("contract_id", "contract", ("contract",)),
        ),
        filters={
            "supplier": Supplier.name,
            "site": Site.name,
            "customer": Customer.name,
            "state": Cluster.state,
            "orchestrator": Cluster.orchestrator,
        },
    )
)
_register(
    Kind(
        "node",
        "nodes",
        Node,
        schemas.NodeRecord,
        ("hostname",),
        (
            *_stamps(Node),
            *_cols(Node, "hostname", "serial", "position", "bmc_address", "gpu_model", "gpu_count", "state"),
            Site.name.label("site"),
            Rack.name.label("rack"),
            Cluster.name.label("cluster"),
            SiteSupplier.name.label("supplier"),
            ClusterCustomer.name.label("customer"),
            Rack.pod.label("pod"),
        ),
        joins=(
            (Rack, Node.rack_id == Rack.id),
            (Site, Rack.site_id == Site.id),
            (SiteSupplier, Site.supplier_id == SiteSupplier.id),
            (Cluster, Node.cluster_id == Cluster.id, OUTER),
            (ClusterCustomer, Cluster.customer_id == ClusterCustomer.id, OUTER),
        ),
        refs=(Ref("rack_id", "rack", ("site", "rack")), Ref("cluster_id", "cluster", ("cluster",))),
        unique=("serial",),
        filters={
            "supplier": SiteSupplier.name,
            "site": Site.name,
            "cluster": Cluster.name,
            "state": Node.state,
            "rack": Rack.name,
            "customer": ClusterCustomer.name,
            "pod": Rack.pod,
        },
        extra=("supplier", "customer", "pod"),
    )
)
_register(
    Kind(
        "gpu",
        "gpus",
        Gpu,
        schemas.GpuRecord,
        ("uuid",),
        (
            *_stamps(Gpu),
            *_cols(Gpu, "uuid", "serial", "index"),
            Node.hostname.label("node"),
            Cluster.name.label("cluster"),
        ),
        joins=((Node, Gpu.node_id == Node.id), (Cluster, Node.cluster_id == Cluster.id, OUTER)),
        refs=(Ref("node_id", "node", ("node",)),),
        filters={"node": Node.hostname, "cluster": Cluster.name},
        extra=("cluster",),
    )
)

ORDER = ("supplier", "region", "site", "rack", "customer", "contract", "cluster", "node")
BY_PLURAL = {k.plural: k for k in KINDS.values()}
