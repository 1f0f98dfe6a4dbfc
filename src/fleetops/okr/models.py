"""The pager history imported as the page-reduction baseline: pages per day, from the old pager's export."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from fleetops import clock
from fleetops.db.base import Base


class PagerBaseline(Base):
    """One day of the imported history; importing a day again replaces it, so a re-import changes nothing."""

    __tablename__ = "okr_pager_baseline"
    day: Mapped[date] = mapped_column(primary_key=True)
    pages: Mapped[int]
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
