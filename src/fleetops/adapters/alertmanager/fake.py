"""An in-memory Alertmanager API: keeps posted alerts by label set."""

from __future__ import annotations

from typing import Any


class FakeAlertmanager:
    def __init__(self) -> None:
        self.received: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        for alert in alerts:
            self.received[tuple(sorted(alert["labels"].items()))] = alert

    def alerts(self) -> list[dict[str, Any]]:
        return list(self.received.values())

    def ready(self) -> bool:
        return True
