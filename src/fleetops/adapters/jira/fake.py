"""An in-memory Jira: issues with labels, searchable by label as the JQL `labels = "x"` is, with a status
category the test (or the simulated supplier) moves with `resolve`, and comments; `close_issue` is
fleetops closing a ticket itself (folded into a wider incident's), with the comment that says why."""

from __future__ import annotations

from typing import Any

from fleetops.adapters.jira.client import check_fields
from fleetops.errors import ExternalError


class FakeJira:
    def __init__(self) -> None:
        self.issues: dict[str, dict[str, Any]] = {}
        self.failures: list[int] = []
        self.status: dict[str, str] = {}
        self.comments: dict[str, list[str]] = {}

    def fail_next(self, *statuses: int) -> None:
        self.failures.extend(statuses)

    def _maybe_fail(self) -> None:
        if self.failures:
            status = self.failures.pop(0)
            raise ExternalError(f"jira answered {status}", retryable=status == 429 or status >= 500)

    def find_issue(self, base_url: str, label: str, open_only: bool = False) -> str | None:
        self._maybe_fail()
        found = (k for k, f in self.issues.items() if label in f.get("labels", []))
        return next((k for k in found if not open_only or self.status[k] != "done"), None)

    def create_issue(self, base_url: str, fields: dict[str, Any]) -> str:
        check_fields(fields)
        self._maybe_fail()
        key = f"{fields['project']['key']}-{len(self.issues) + 1}"
        self.issues[key] = fields
        self.status[key] = "new"
        return key

    def resolve(self, key: str) -> None:
        """The supplier closes the ticket."""
        self.status[key] = "done"

    def issue_status(self, base_url: str, key: str) -> str:
        self._maybe_fail()
        return self.status[key]

    def add_comment(self, base_url: str, key: str, body: str) -> None:
        self._maybe_fail()
        self.comments.setdefault(key, []).append(body)

    def reopen(self, base_url: str, key: str) -> None:
        self._maybe_fail()
        self.status[key] = "indeterminate"

    def close_issue(self, base_url: str, key: str, comment: str) -> None:
        self.add_comment(base_url, key, comment)
        self.status[key] = "done"

    def closed(self) -> dict[str, list[str]]:
        """Issue key → its comments, for the issues that are done."""
        return {k: self.comments.get(k, []) for k, s in self.status.items() if s == "done"}
