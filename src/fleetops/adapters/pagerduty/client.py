"""PagerDuty Events API v2 client: POST https://events.pagerduty.com/v2/enqueue.

Documented event (developer.pagerduty.com, "Events API v2 Overview" and "Send an Alert Event"):
`{"routing_key", "event_action": "trigger"|"acknowledge"|"resolve", "dedup_key", "payload": {"summary",
"source", "severity": "critical"|"error"|"warning"|"info", "component", "group", "class",
"custom_details"}}`; `payload` is required for trigger only. The API answers 202 with
`{"status": "success", "dedup_key": ...}`, 400 for an invalid event, 429 when throttled, 5xx on failure.
"""

from __future__ import annotations

from typing import Any

import httpx

from fleetops.errors import ExternalError, InvalidInput

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")


def check_event(event: dict[str, Any]) -> None:
    """Refuse an event PagerDuty would refuse, before it leaves (a 400 is never worth retrying)."""
    if event.get("event_action") not in ACTIONS:
        raise InvalidInput(f"pagerduty event: event_action {event.get('event_action')!r} not in {ACTIONS}")
    if not event.get("routing_key") or not event.get("dedup_key"):
        raise InvalidInput("pagerduty event: routing_key and dedup_key are required")
    if len(event["dedup_key"]) > 255:
        raise InvalidInput("pagerduty event: dedup_key is longer than 255 characters")
    if event["event_action"] == "trigger":
        payload = event.get("payload") or {}
        missing = [k for k in ("summary", "source", "severity") if not payload.get(k)]
        if missing or payload.get("severity") not in SEVERITIES:
            raise InvalidInput(
                f"pagerduty event: payload needs summary, source and a valid severity ({missing})"
            )
        if len(payload["summary"]) > 1024:
            raise InvalidInput("pagerduty event: payload.summary is longer than 1024 characters")


def raise_for(response: httpx.Response, system: str) -> None:
    """429 and 5xx may pass if tried again; any other 4xx will not."""
    if response.status_code < 400:
        return
    retryable = response.status_code == 429 or response.status_code >= 500
    raise ExternalError(
        f"{system} answered {response.status_code}: {response.text[:200]}",
        retryable=retryable,
        status_code=response.status_code,
    )


class PagerDutyClient:
    def __init__(self, timeout: float = 10.0, transport: httpx.BaseTransport | None = None) -> None:
        self.http = httpx.Client(timeout=timeout, transport=transport)

    def send_event(self, url: str, event: dict[str, Any]) -> str:
        check_event(event)
        try:
            response = self.http.post(url, json=event)
        except httpx.TransportError as exc:
            raise ExternalError(f"pagerduty {url}: {exc}", retryable=True) from exc
        raise_for(response, "pagerduty")
        return str(response.json().get("dedup_key", event["dedup_key"]))
