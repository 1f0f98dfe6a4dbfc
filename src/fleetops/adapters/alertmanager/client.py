"""Alertmanager API v2 client (github.com/prometheus/alertmanager api/v2/openapi.yaml).

POST /api/v2/alerts takes a list of `{"labels", "annotations", "startsAt", "endsAt", "generatorURL"}`
and answers 200; GET /api/v2/alerts and GET /api/v2/status read the state back.
"""

from __future__ import annotations

from typing import Any

import httpx

from fleetops.adapters.pagerduty.client import raise_for
from fleetops.errors import ExternalError


class AlertmanagerClient:
    def __init__(
        self, base_url: str, timeout: float = 10.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ExternalError(f"alertmanager {path}: {exc}", retryable=True) from exc
        raise_for(response, "alertmanager")
        return response

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        self._call("POST", "/api/v2/alerts", json=alerts)

    def alerts(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "/api/v2/alerts").json()
        return found

    def ready(self) -> bool:
        try:
            return self.http.get("/-/ready").status_code == 200
        except httpx.TransportError:
            return False
