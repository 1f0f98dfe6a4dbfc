"""Jira issues: the Ticketer port. Jira has no idempotency key, so callers find before they create.

A ticket outlives the call that opened it: the supplier works it, so fleetops reads its status back
(`issue_status`: Jira's status category, "new", "indeterminate" or "done"), comments on it and reopens it
when a repair did not hold, instead of opening a second one.
"""

from __future__ import annotations

from typing import Any, Protocol


class Ticketer(Protocol):
    def find_issue(self, base_url: str, label: str) -> str | None: ...

    def create_issue(self, base_url: str, fields: dict[str, Any]) -> str: ...

    def close_issue(self, base_url: str, key: str, comment: str) -> None:
        """Close the issue with a comment saying why (e.g. folded into a wider incident's ticket)."""
        ...

    def issue_status(self, base_url: str, key: str) -> str: ...

    def add_comment(self, base_url: str, key: str, body: str) -> None: ...

    def reopen(self, base_url: str, key: str) -> None: ...
