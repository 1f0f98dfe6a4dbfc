"""Jira REST client (developer.atlassian.com, "JIRA REST API Example - Create Issue", Jira 5.0+).

Create: POST {base}/rest/api/2/issue with `{"fields": {"project": {"key"}, "summary", "description",
"issuetype": {"name"}, "labels": [...]}}`, answered 201 `{"id", "key", "self"}`.
Find: GET {base}/rest/api/2/search?jql=labels = "<label>" answered `{"total", "issues": [{"key"}]}`.
Jira has no idempotency key: we label each issue with the incident and search for that label first.
"""

from __future__ import annotations

from typing import Any

import httpx

from fleetops.adapters.pagerduty.client import raise_for
from fleetops.errors import ExternalError, InvalidInput


def check_fields(fields: dict[str, Any]) -> None:
    missing = [k for k in ("project", "summary", "issuetype") if not fields.get(k)]
    if missing:
        raise InvalidInput(f"jira issue: fields {missing} are required")
    if len(fields["summary"]) > 255:
        raise InvalidInput("jira issue: summary is longer than 255 characters")


class JiraClient:
    def __init__(
        self, token: str | None = None, timeout: float = 10.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(timeout=timeout, transport=transport, headers=headers)

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise ExternalError(f"jira {url}: {exc}", retryable=True) from exc
        raise_for(response, "jira")
        return response

    def find_issue(self, base_url: str, label: str) -> str | None:
        found = self._call(
            "GET",
            f"{base_url}/rest/api/2/search",
            params={"jql": f'labels = "{label}"', "fields": "key", "maxResults": 1},
        ).json()
        issues = found.get("issues") or []
        return str(issues[0]["key"]) if issues else None

    def create_issue(self, base_url: str, fields: dict[str, Any]) -> str:
        check_fields(fields)
        return str(self._call("POST", f"{base_url}/rest/api/2/issue", json={"fields": fields}).json()["key"])
