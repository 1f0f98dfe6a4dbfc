"""`fleetops relay`: takes the report POSTs of the agents near it and forwards them to the control plane
in groups, one request per group.

Each agent POSTs one small report every 30 s. At 10,000 nodes the control plane would answer 333 HTTP
requests a second, and serving an HTTP request alone, before any fleetops code, costs 11-14 % of a core
at that rate on a 2-vCPU VM (docs/health.md). A relay per pod or site turns a window's POSTs into one
request, so the control plane pays the HTTP cost once per group; the relay pays it per agent POST.

The relay keeps nothing. An agent is answered only once the control plane has stored its reports, with
exactly what the control plane answered it; when the control plane cannot be reached every agent gets a
retryable 502 and keeps its reports in its spool. Authentication is end to end: the relay forwards each
agent's own token and the control plane checks it, while the relay's token (role `relay`) can do nothing
but forward.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fleetops.errors import ExternalError
from fleetops.health.api import RELAY_PATH, REPORTS_PATH, take_reports
from fleetops.health.intake import Intake, Posted
from fleetops.wire import AGENT_KEEP_ALIVE_S, RelayedPost, RelayedPosts


class Forwarder:
    """The relay's store: one group of agent POSTs, one request to the control plane."""

    def __init__(self, server: str, token: str, client: httpx.AsyncClient | None = None) -> None:
        self.url = server.rstrip("/") + RELAY_PATH
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, connect=5.0), limits=httpx.Limits(keepalive_expiry=AGENT_KEEP_ALIVE_S)
        )

    async def __call__(self, group: list[Posted]) -> list[Any]:
        posts = [
            RelayedPost(p.token, msgspec.Raw(p.body if p.body is not None else b"null"), p.size)
            for p in group
        ]
        try:
            response = await self.client.post(
                self.url, content=msgspec.json.encode(RelayedPosts(posts)), headers=self.headers
            )
        except httpx.HTTPError as exc:
            why = f"unreachable ({type(exc).__name__})"
        else:
            if response.status_code == 200:
                return [(item["status"], item["body"]) for item in response.json()["answers"]]
            why = f"answered {response.status_code}: {response.text[:300]}"
        return [ExternalError(f"relay: control plane {why}", retryable=True)] * len(group)


def create_relay(
    server: str, token: str, window_s: float, client: httpx.AsyncClient | None = None
) -> Starlette:
    intake = Intake(window_s, Forwarder(server, token, client))

    async def post_reports(request: Request) -> JSONResponse:
        return await take_reports(request, intake)

    return Starlette(routes=[Route(REPORTS_PATH, post_reports, methods=["POST"])])
