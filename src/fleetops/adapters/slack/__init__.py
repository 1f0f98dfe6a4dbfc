"""Slack incoming webhooks: the ChatNotifier port."""

from __future__ import annotations

from typing import Any, Protocol


class ChatNotifier(Protocol):
    def post(self, url: str, message: dict[str, Any]) -> None: ...
