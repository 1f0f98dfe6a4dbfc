"""Jira REST client (developer.atlassian.com, "JIRA REST API Example - Create Issue", Jira 5.0+).

Create: POST {base}/rest/api/2/issue with `{"fields": {"project": {"key"}, "summary", "description",
"issuetype": {"name"}, "labels": [...]}}`, answered 201 `{"id", "key", "self"}`.
Find: GET {base}/rest/api/2/search?jql=labels = "<label>" (open ones: `AND statusCategory != Done`)
answered `{"total", "issues": [{"key"}]}`.
Status: GET {base}/rest/api/2/issue/{key}?fields=status, `fields.status.statusCategory.key` ("new",
"indeterminate", "done"): the category, because each project names its own statuses.
Comment: POST {base}/rest/api/2/issue/{key}/comment `{"body"}` (201).
Close and reopen: GET {base}/rest/api/2/issue/{key}/transitions answers `{"transitions": [{"id", "name",
"to": {"statusCategory": {"key"}}}]}`; POST the same path `{"transition": {"id"}}` (204), closing with
`"update": {"comment": [{"add": {"body"}}]}` beside it. Transition ids differ per workflow, so the first
one into (to close) or out of (to reopen) the "done" category is looked up, never configured; closing an
issue already done adds the comment alone.
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

    def find_issue(self, base_url: str, label: str, open_only: bool = False) -> str | None:
        jql = f'labels = "{label}"' + (" AND statusCategory != Done" if open_only else "")
        found = self._call(
            "GET", f"{base_url}/rest/api/2/search", params={"jql": jql, "fields": "key", "maxResults": 1}
        ).json()
        issues = found.get("issues") or []
        return str(issues[0]["key"]) if issues else None

    def create_issue(self, base_url: str, fields: dict[str, Any]) -> str:
        check_fields(fields)
        return str(self._call("POST", f"{base_url}/rest/api/2/issue", json={"fields": fields}).json()["key"])

    def issue_status(self, base_url: str, key: str) -> str:
        found = self._call("GET", f"{base_url}/rest/api/2/issue/{key}", params={"fields": "status"}).json()
        try:
            return str(found["fields"]["status"]["statusCategory"]["key"])
        except (KeyError, TypeError):
            raise ExternalError(f"jira issue {key}: answer has no fields.status.statusCategory.key") from None

    def add_comment(self, base_url: str, key: str, body: str) -> None:
        self._call("POST", f"{base_url}/rest/api/2/issue/{key}/comment", json={"body": body})

    def _transitions(self, base_url: str, key: str, done: bool) -> tuple[str, list[dict[str, Any]]]:
        """The issue's transitions into (`done`) or out of Jira's "done" status category."""
        url = f"{base_url}/rest/api/2/issue/{key}/transitions"
        found = self._call("GET", url).json().get("transitions") or []
        category = [t.get("to", {}).get("statusCategory", {}).get("key") for t in found]
        return url, [t for t, c in zip(found, category, strict=True) if (c == "done") == done]

    def reopen(self, base_url: str, key: str) -> None:
        url, back = self._transitions(base_url, key, done=False)
        if not back:
            raise ExternalError(f"jira issue {key}: no transition leads out of done", retryable=False)
        self._call("POST", url, json={"transition": {"id": str(back[0]["id"])}})

    def close_issue(self, base_url: str, key: str, comment: str) -> None:
        url, done = self._transitions(base_url, key, done=True)
        if not done:
            self.add_comment(base_url, key, comment)
            return
        update = {"comment": [{"add": {"body": comment}}]}
        self._call("POST", url, json={"transition": {"id": str(done[0]["id"])}, "update": update})
