"""PagerDuty Events API v2: the Pager port (trigger, acknowledge, resolve by a stable dedup_key)."""

from __future__ import annotations

from typing import Any, Protocol


class Pager(Protocol):
    def send_event(self, url: str, event: dict[str, Any]) -> str:
        """Send one event; return the dedup_key PagerDuty keyed it under."""
        ...
