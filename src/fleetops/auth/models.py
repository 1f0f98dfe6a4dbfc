"""API tokens: only a SHA-256 of the secret is stored; the prefix is the public lookup key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from fleetops import clock
from fleetops.auth.choices import Role
from fleetops.db.base import Base, enum_type


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(enum_type(Role, length=16))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))
    node_id: Mapped[int | None] = mapped_column(ForeignKey("node.id"))
    created_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    revoked_at: Mapped[datetime | None]
