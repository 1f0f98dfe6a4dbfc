"""Delivers spooled reports to the control plane in order, in batches, and decides what a failure means.

    2xx, 409 (report id already stored)  delivered: removed from the spool
    400, 422 and other 4xx               the server will never take it: a batch is split to find the bad
                                         report, which alone is moved aside as poison and counted
    401, 403, 404, 408, 429, 5xx, no connection   try again later, with exponential backoff and jitter
Every report goes through the spool, so a report is on disk before the first attempt to send it. The
answers also carry what the control plane asks of each node (`requests`): the agent's only inbound channel.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from fleetops.agent.spool import Spool, SpoolItem
from fleetops.wire import AGENT_KEEP_ALIVE_S

log = logging.getLogger(__name__)
REPORTS_PATH = "/api/v1/health/reports"
_RETRY_STATUSES = {401, 403, 404, 408, 425, 429}


@dataclass(slots=True)
class Backoff:
    """Full-jitter exponential backoff: a fleet of agents coming back at once does not stampede."""

    base_s: float = 1.0
    cap_s: float = 300.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        ceiling = min(self.cap_s, self.base_s * 2**self.attempt)
        self.attempt += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0


@dataclass(slots=True)
class DrainResult:
    delivered: int = 0
    poisoned: int = 0
    remaining: int = 0
    error: str | None = None
    # hostname → requests, from the latest answer that spoke of that host; None: no answer said anything.
    requests: dict[str, list[Any]] | None = None


class _Retry(Exception):
    """The server or the network said "not now"."""


class Sender:
    def __init__(
        self, server: str, token: str, spool: Spool, client: httpx.Client | None = None, batch_size: int = 32
    ) -> None:
        self.url = server.rstrip("/") + REPORTS_PATH
        self.spool = spool
        self.batch_size = batch_size
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(10.0, connect=5.0),
            limits=httpx.Limits(max_connections=1, keepalive_expiry=AGENT_KEEP_ALIVE_S),
        )
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.backoff = Backoff()
        self.poisoned_total = 0
        self.delivered_total = 0

    def _post(self, items: list[SpoolItem]) -> httpx.Response:
        body = b'{"reports":[' + b",".join(item.data for item in items) + b"]}"
        try:
            response = self.client.post(self.url, content=body, headers=self.headers)
        except httpx.HTTPError as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status >= 500 or status in _RETRY_STATUSES:
            raise _Retry(f"HTTP {status}: {response.text[:200]}")
        return response

    def _deliver(self, items: list[SpoolItem], result: DrainResult) -> None:
        """Send `items`; a rejected batch is bisected until each rejected report stands alone."""
        response = self._post(items)
        status = response.status_code
        if status < 300 or status == 409:
            self.spool.ack(items)
            result.delivered += len(items)
            _read_requests(response, result)
            return
        if len(items) > 1:
            middle = len(items) // 2
            self._deliver(items[:middle], result)
            self._deliver(items[middle:], result)
            return
        log.error("report %s rejected by the server (HTTP %s): moved aside", items[0].path.name, status)
        self.spool.poison(items[0], f"HTTP {status}")
        result.poisoned += 1

    def drain(self) -> DrainResult:
        """Send everything spooled, oldest first; stop at the first "try again later"."""
        result = DrainResult()
        while batch := self.spool.peek(self.batch_size):
            try:
                self._deliver(batch, result)
            except _Retry as exc:
                result.error = str(exc)
                break
        self.delivered_total += result.delivered
        self.poisoned_total += result.poisoned
        result.remaining = len(self.spool)
        if result.error is None:
            self.backoff.reset()
        return result

    def close(self) -> None:
        self.client.close()


def _read_requests(response: httpx.Response, result: DrainResult) -> None:
    """Keep the answer's `requests`; an answer without them (an older control plane) changes nothing."""
    try:
        requests = response.json().get("requests")
    except (ValueError, AttributeError):
        return
    if isinstance(requests, dict):
        result.requests = (result.requests or {}) | {
            str(host): asks for host, asks in requests.items() if isinstance(asks, list)
        }
