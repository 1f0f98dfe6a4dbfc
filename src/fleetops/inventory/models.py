"""Inventory tables. Natural keys (names, hostnames, serials, GPU UUIDs) are unique, ids are surrogate."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleetops.db.base import Base, TimestampMixin, enum_type
from fleetops.inventory.choices import ClusterState, NodeState, Orchestrator


class Supplier(TimestampMixin, Base):
    __tablename__ = "supplier"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    contact_email: Mapped[str | None] = mapped_column(String(200))


class Region(TimestampMixin, Base):
    __tablename__ = "region"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Site(TimestampMixin, Base):
    __tablename__ = "site"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    supplier: Mapped[Supplier] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(lazy="joined")


class Rack(TimestampMixin, Base):
    __tablename__ = "rack"
    __table_args__ = (UniqueConstraint("site_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    pod: Mapped[str | None] = mapped_column(String(100))
    site: Mapped[Site] = relationship(lazy="joined")


class Customer(TimestampMixin, Base):
    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    contact_email: Mapped[str | None] = mapped_column(String(200))


class Contract(TimestampMixin, Base):
    __tablename__ = "contract"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    gpu_count: Mapped[int]
    price_per_gpu_hour: Mapped[float] = mapped_column(Numeric(10, 4, asdecimal=False))
    customer: Mapped[Customer] = relationship(lazy="joined")


class Cluster(TimestampMixin, Base):
    __tablename__ = "cluster"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    orchestrator: Mapped[Orchestrator] = mapped_column(enum_type(Orchestrator))
    state: Mapped[ClusterState] = mapped_column(enum_type(ClusterState), default=ClusterState.PLANNED)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    supplier: Mapped[Supplier | None] = relationship(lazy="joined")
    site: Mapped[Site | None] = relationship(lazy="joined")
    customer: Mapped[Customer | None] = relationship(lazy="joined")
    contract: Mapped[Contract | None] = relationship(lazy="joined")


class Node(TimestampMixin, Base):
    __tablename__ = "node"
    __table_args__ = (Index("ix_node_cluster_hostname", "cluster_id", "hostname"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200), unique=True)
    serial: Mapped[str] = mapped_column(String(100), unique=True)
    rack_id: Mapped[int] = mapped_column(ForeignKey("rack.id"), index=True)
    position: Mapped[int | None]
    bmc_address: Mapped[str | None] = mapped_column(String(200))
    gpu_model: Mapped[str] = mapped_column(String(100))
    gpu_count: Mapped[int] = mapped_column(default=8)
    state: Mapped[NodeState] = mapped_column(enum_type(NodeState), default=NodeState.PLANNED, index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id"))
    rack: Mapped[Rack] = relationship(lazy="joined")
    cluster: Mapped[Cluster | None] = relationship(lazy="joined")


class Gpu(TimestampMixin, Base):
    __tablename__ = "gpu"
    __table_args__ = (UniqueConstraint("node_id", "index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    serial: Mapped[str | None] = mapped_column(String(100))
    index: Mapped[int]
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id"), index=True)
