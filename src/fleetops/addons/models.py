"""A cluster's add-ons: which version it runs, whether it is on, and the settings kept with the add-on.

No row means the catalog's default (on or off, the latest version, the schema's defaults). Settings
that belong to another domain (remediation's cluster settings) stay in that domain's table and are
reached through its service, never copied here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleetops import clock
from fleetops.db.base import Base


class ClusterAddon(Base):
    __tablename__ = "cluster_addon"
    __table_args__ = (UniqueConstraint("cluster_id", "addon"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id", ondelete="CASCADE"), index=True)
    addon: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool]
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
