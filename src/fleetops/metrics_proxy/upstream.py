"""The Prometheus HTTP API that tenant queries are sent on to: a thin httpx client, and a fake beside it.

Prometheus answers a query it cannot run with 400/422 and an `error`: that is the caller's mistake and
comes back as a 422 naming Prometheus's reason; an unreachable or failing Prometheus is a retryable 502.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from fleetops.config import settings
from fleetops.errors import ExternalError, InvalidInput


class Prometheus(Protocol):
    def get(self, path: str, params: dict[str, str]) -> dict[str, Any]: ...


class PrometheusClient:
    def __init__(self, url: str, timeout_s: float, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, timeout=timeout_s, transport=transport)

    def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            answer = self.http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise ExternalError(f"prometheus {self.url}{path}: {exc}", retryable=True) from exc
        if answer.status_code in (400, 422):
            raise InvalidInput(f"prometheus refused the query: {answer.json().get('error', answer.text)}")
        if answer.status_code >= 300:
            raise ExternalError(f"prometheus {self.url}{path}: HTTP {answer.status_code}", retryable=True)
        body: dict[str, Any] = answer.json()
        return body


class FakePrometheus:
    """Answers every query with the series it was given, and keeps the queries it was sent."""

    def __init__(self, series: list[dict[str, Any]] | None = None) -> None:
        self.series = series or []
        self.sent: list[tuple[str, dict[str, str]]] = []

    def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        self.sent.append((path, params))
        kind = "matrix" if path.endswith("query_range") else "vector"
        return {"status": "success", "data": {"resultType": kind, "result": self.series}}


_upstream: Prometheus | None = None


def use(upstream: Prometheus | None) -> Prometheus | None:
    """Swap the upstream (tests, the simulator); returns the previous one."""
    global _upstream
    previous, _upstream = _upstream, upstream
    return previous


def current() -> Prometheus:
    global _upstream
    if _upstream is None:
        config = settings().observability
        _upstream = PrometheusClient(config.prometheus_url, config.query_timeout_s)
    return _upstream
