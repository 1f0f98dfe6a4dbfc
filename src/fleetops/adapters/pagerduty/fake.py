"""An in-memory PagerDuty: keeps incidents by dedup_key exactly as the Events API would."""

from __future__ import annotations

from typing import Any

from fleetops.adapters.pagerduty.client import check_event
from fleetops.errors import ExternalError


class FakePagerDuty:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.open: dict[str, dict[str, Any]] = {}
        self.failures: list[int] = []

    def fail_next(self, *statuses: int) -> None:
        self.failures.extend(statuses)

    def send_event(self, url: str, event: dict[str, Any]) -> str:
        check_event(event)
        if self.failures:
            status = self.failures.pop(0)
            raise ExternalError(f"pagerduty answered {status}", retryable=status == 429 or status >= 500)
        self.events.append(event)
        key = event["dedup_key"]
        if event["event_action"] == "trigger":
            self.open[key] = event
        elif event["event_action"] == "resolve":
            self.open.pop(key, None)
        return str(key)

    def triggers(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event_action"] == "trigger"]
