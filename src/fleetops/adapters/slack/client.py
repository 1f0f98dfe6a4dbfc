"""Slack incoming webhook client (api.slack.com/messaging/webhooks).

A message is a JSON body with `text` (the fallback shown in notifications) and optional `blocks`;
Slack answers 200 "ok", 400/403/404 for a bad payload or a revoked webhook, 429 with Retry-After when a
webhook sends more than about one message per second.
"""

from __future__ import annotations

from typing import Any

import httpx

from fleetops.adapters.pagerduty.client import raise_for
from fleetops.errors import ExternalError, InvalidInput


def check_message(message: dict[str, Any]) -> None:
    if not isinstance(message.get("text"), str) or not message["text"]:
        raise InvalidInput("slack message: text is required (it is the notification fallback)")
    if "blocks" in message and not isinstance(message["blocks"], list):
        raise InvalidInput("slack message: blocks must be a list")


class SlackClient:
    def __init__(self, timeout: float = 10.0, transport: httpx.BaseTransport | None = None) -> None:
        self.http = httpx.Client(timeout=timeout, transport=transport)

    def post(self, url: str, message: dict[str, Any]) -> None:
        check_message(message)
        try:
            response = self.http.post(url, json=message)
        except httpx.TransportError as exc:
            raise ExternalError(f"slack webhook: {exc}", retryable=True) from exc
        raise_for(response, "slack")
