"""Remediation shapes at the edges (API, CLI, console): runs, their steps, cluster settings, switches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from fleetops.remediation.choices import ActionKind


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: datetime
    started_at: datetime | None
    actor: str
    approver: str | None
    from_state: str
    to_state: str
    action: str | None
    outcome: str
    detail: str


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    hostname: str
    cluster_id: int | None
    supplier_id: int | None
    gpu_index: int | None
    check: str
    xid: int | None
    rule: str
    fault_class: str
    reason: str
    state: str
    plan: list[str]
    step: int
    attempts: int
    rung: int
    findings: int
    dry_run: bool
    human: bool
    approved_by: str | None
    last_error: str | None
    ticket: str | None
    detected_at: datetime
    quarantined_at: datetime | None
    drained_at: datetime | None
    acted_at: datetime | None
    verified_at: datetime | None
    finished_at: datetime | None
    back_in_service_at: datetime | None


class RunDetail(RunRead):
    steps: list[StepRead] = []


class MaintenanceWindow(BaseModel):
    start: datetime
    end: datetime
    reason: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceWindow:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("maintenance window: start and end need a timezone (e.g. 2026-01-01T02:00Z)")
        if self.end <= self.start:
            raise ValueError(f"maintenance window: end {self.end} is not after start {self.start}")
        return self


class SettingsUpdate(BaseModel):
    """What a customer may set for its own cluster; fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    dry_run: bool | None = None
    allowed_actions: list[ActionKind] | None = None
    approval_required: list[ActionKind] | None = None
    maintenance_windows: list[MaintenanceWindow] | None = None
    notify: dict[str, Any] | None = None

    @field_validator("notify")
    @classmethod
    def _notify(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        allowed = {"email", "on"}  # a customer's webhook is a secret: [fleetops.notify.webhooks]
        if value is not None and set(value) - allowed:
            raise ValueError(
                f"notify: unknown key(s) {sorted(set(value) - allowed)} (known: {sorted(allowed)})"
            )
        return value


MASK = "********"
SHOWN = frozenset({"on"})  # which events notify: not a secret


def masked(notify: dict[str, Any] | None) -> dict[str, Any]:
    """`notify` as anyone may read it: contact details and secrets (the e-mail, a webhook a row kept from
    before they were refused) are write-only, shown as set but never as their value, to every role
    including the owner; the engine reads the row itself."""
    return {k: v if k in SHOWN or v in (None, "") else MASK for k, v in (notify or {}).items()}


class SettingsRead(BaseModel):
    cluster_id: int
    cluster: str
    enabled: bool = True
    dry_run: bool = False
    allowed_actions: list[str] | None = None
    approval_required: list[str] = []
    maintenance_windows: list[dict[str, Any]] = []
    notify: dict[str, Any] = {}
    updated_by: str | None = None
    updated_at: datetime | None = None

    @field_serializer("notify")
    def _write_only(self, notify: dict[str, Any]) -> dict[str, Any]:
        return masked(notify)


class SwitchUpdate(BaseModel):
    on: bool
    reason: str = Field(default="", max_length=500)


class SwitchRead(BaseModel):
    name: str
    on: bool
    changed_by: str | None = None
    changed_at: datetime | None = None
    reason: str = ""


class BreakerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    scope: str
    subject_id: int
    state: str
    tripped_at: datetime | None
    reason: str | None
    reset_by: str | None
    reset_at: datetime | None


class MeasuresRead(BaseModel):
    """What `GET /remediation/measures` answers (the route builds it as a dict; declared for the API's
    document and checked by the fuzz)."""

    since: datetime
    runs: int
    by_state: dict[str, int]
    escalated: int
    mttr: dict[str, dict[str, Any]] = Field(
        description="per fault owner: count, median_s, p90_s, goal_s, within_goal"
    )
    stages_median_s: dict[str, float | None]
    automation: dict[str, Any] = Field(description="finished, automatic and their share")
    actions: dict[str, Any]
    per_supplier: dict[str, Any]
