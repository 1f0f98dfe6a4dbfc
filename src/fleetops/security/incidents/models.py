"""Security incident tables: the incident (who leads it, where it stands) and its timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fleetops import clock
from fleetops.db.base import Base, enum_type
from fleetops.security.incidents.choices import IncidentState, Priority


class SecurityIncident(Base):
    __tablename__ = "security_incident"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[Priority] = mapped_column(enum_type(Priority, length=4))
    state: Mapped[IncidentState] = mapped_column(enum_type(IncidentState), default=IncidentState.DECLARED)
    confidential: Mapped[bool] = mapped_column(default=False, index=True)
    customers: Mapped[str] = mapped_column(String(500), default="")  # who is told, as they are addressed
    declared_by: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    responded_at: Mapped[datetime | None]  # the commander's acknowledgement: the response SLA's end
    contained_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    commander: Mapped[str | None] = mapped_column(String(200))
    communications: Mapped[str | None] = mapped_column(String(200))
    technical_lead: Mapped[str | None] = mapped_column(String(200))
    root_cause: Mapped[str] = mapped_column(Text, default="")

    @property
    def key(self) -> str:
        return f"SEC-{self.id}"


class SecurityIncidentEvent(Base):
    """The timeline: every state change, role change and note, with who and when; `public` entries are
    the ones customer notices quote."""

    __tablename__ = "security_incident_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("security_incident.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # declared, state, role, note, notice
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(default=False)
