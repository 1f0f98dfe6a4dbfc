"""An in-memory Slack: messages per webhook URL."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fleetops.adapters.slack.client import check_message
from fleetops.errors import ExternalError


class FakeSlack:
    def __init__(self) -> None:
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.failures: list[int] = []

    def fail_next(self, *statuses: int) -> None:
        self.failures.extend(statuses)

    def post(self, url: str, message: dict[str, Any]) -> None:
        check_message(message)
        if self.failures:
            status = self.failures.pop(0)
            raise ExternalError(f"slack answered {status}", retryable=status == 429 or status >= 500)
        self.messages[url].append(message)

    def count(self) -> int:
        return sum(len(v) for v in self.messages.values())
