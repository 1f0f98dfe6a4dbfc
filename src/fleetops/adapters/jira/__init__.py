"""Jira issues: the Ticketer port. Jira has no idempotency key, so callers find before they create."""

from __future__ import annotations

from typing import Any, Protocol


class Ticketer(Protocol):
    def find_issue(self, base_url: str, label: str) -> str | None: ...

    def create_issue(self, base_url: str, fields: dict[str, Any]) -> str: ...
