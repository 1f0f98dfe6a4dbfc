"""Jira issues: the Ticketer port. Jira has no idempotency key, so callers find before they create.

A ticket outlives the call that opened it: the supplier works it, so fleetops reads its status back
(`issue_status`: Jira's status category, "new", "indeterminate" or "done"), comments on it and reopens it
when a repair did not hold, instead of opening a second one. Every ticket about one node carries that
node's label (`node_label`), whichever path opened it, so the other path finds it open and takes it over.
"""

from __future__ import annotations

from typing import Any, Protocol


def node_label(hostname: str) -> str:
    return f"fleetops-node-{hostname}"


class Ticketer(Protocol):
    def find_issue(self, base_url: str, label: str, open_only: bool = False) -> str | None:
        """The first issue with the label (`open_only`: not in Jira's "done" status category)."""
        ...

    def create_issue(self, base_url: str, fields: dict[str, Any]) -> str: ...

    def close_issue(self, base_url: str, key: str, comment: str) -> None:
        """Close the issue with a comment saying why (e.g. folded into a wider incident's ticket)."""
        ...

    def issue_status(self, base_url: str, key: str) -> str: ...

    def add_comment(self, base_url: str, key: str, body: str) -> None: ...

    def reopen(self, base_url: str, key: str) -> None: ...
