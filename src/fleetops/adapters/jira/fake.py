"""An in-memory Jira: issues with labels, searchable by label as the JQL `labels = "x"` is."""

from __future__ import annotations

from typing import Any

from fleetops.adapters.jira.client import check_fields
from fleetops.errors import ExternalError


class FakeJira:
    def __init__(self) -> None:
        self.issues: dict[str, dict[str, Any]] = {}
        self.failures: list[int] = []

    def fail_next(self, *statuses: int) -> None:
        self.failures.extend(statuses)

    def _maybe_fail(self) -> None:
        if self.failures:
            status = self.failures.pop(0)
            raise ExternalError(f"jira answered {status}", retryable=status == 429 or status >= 500)

    def find_issue(self, base_url: str, label: str) -> str | None:
        self._maybe_fail()
        return next((k for k, f in self.issues.items() if label in f.get("labels", [])), None)

    def create_issue(self, base_url: str, fields: dict[str, Any]) -> str:
        check_fields(fields)
        self._maybe_fail()
        key = f"{fields['project']['key']}-{len(self.issues) + 1}"
        self.issues[key] = fields
        return key
