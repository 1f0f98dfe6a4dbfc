"""Shapes at the edges: the Alertmanager webhook payload (version 4) and the API's read/write models.

Webhook payload: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
(version "4", groupKey, truncatedAlerts, status, receiver, groupLabels, commonLabels, commonAnnotations,
externalURL, alerts[] with status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fleetops.alerts.policy import parse_matchers

MAX_ALERTS_PER_PAYLOAD = 10_000
MAX_LABELS = 64
MAX_LABEL_VALUE = 1024


class WebhookAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(max_length=MAX_LABELS)
    annotations: dict[str, str] = Field(default_factory=dict, max_length=MAX_LABELS)
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str | None = Field(default=None, max_length=64)

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        if "alertname" not in value:
            raise ValueError("labels.alertname is required")
        for name, text in value.items():
            if len(name) > 100 or len(text) > MAX_LABEL_VALUE:
                raise ValueError(f"label {name[:100]!r} is too long (names <= 100, values <= 1024)")
        return value

    @field_validator("startsAt", "endsAt")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must carry a timezone (RFC 3339)")
        try:
            return None if value is None else value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC: stored, it was a 500
            raise ValueError("the timestamp has no UTC equivalent (before year 1 or after 9999)") from None


class WebhookPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    version: Literal["4"]
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    alerts: list[WebhookAlert] = Field(max_length=MAX_ALERTS_PER_PAYLOAD)


class IngestResult(BaseModel):
    received: int
    stored: int
    duplicates: int
    rejected: list[str] = []
    incidents_changed: int = 0


class IncidentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    key: str
    scope: str
    subject: str
    owner: str
    status: str
    priority: str
    disposition: str
    reason: str
    receivers: list[str]
    alert_count: int
    node_count: int
    labels: dict[str, Any]
    opened_at: datetime
    resolved_at: datetime | None
    first_notified_at: datetime | None


class SilenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["silence", "maintenance"] = "silence"
    matchers: list[str] = Field(min_length=1)
    starts_at: datetime | None = None
    ends_at: datetime
    comment: str = ""

    @field_validator("matchers")
    @classmethod
    def _matchers(cls, value: list[str]) -> list[str]:
        parse_matchers(value)
        return value


class SilenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str


# What the explanation and the measures answer, declared for the OpenAPI document (`explain.explain` and
# `measures.measures` build the dicts, the explanation picking the alert's and incident's fields named
# here; the API fuzz checks every answer against these).
class ExplainedAlert(BaseModel):
    id: int
    fingerprint: str
    status: str
    labels: dict[str, Any]
    repeats: int


class ExplainedIncident(BaseModel):
    id: int
    key: str
    priority: str
    status: str
    disposition: str
    reason: str
    receivers: list[str]


class IncidentChange(BaseModel):
    at: str
    field: str
    from_: str | None = Field(alias="from")
    to: str
    why: str


class MessageSent(BaseModel):
    receiver: str
    action: str
    status: str
    attempts: int
    dedup_key: str
    error: str | None


class Explanation(BaseModel):
    """Why an alert paged, ticketed, forwarded or stayed quiet; an alert in no incident has only `alert`
    and `verdict`."""

    alert: ExplainedAlert
    verdict: str
    incident: ExplainedIncident | None = None
    undelivered: list[str] | None = Field(None, description="Messages nobody has heard, with why")
    history: list[IncidentChange] | None = None
    messages: list[MessageSent] | None = None


class Quantiles(BaseModel):
    median: float | None
    p99: float | None


class AlertMeasures(BaseModel):
    alerts_in: int
    alerts_distinct: int
    incidents_opened: int
    pages_sent: int
    tickets_opened: int
    forwarded: dict[str, int] = Field(description="Messages delivered to suppliers and customers")
    suppressed_alerts_by_reason: dict[str, int]
    page_reduction: float | None
    time_to_notify_s: Quantiles
    time_to_ack_s: Quantiles
    outbox: dict[str, int]
    rejected_payloads: int
