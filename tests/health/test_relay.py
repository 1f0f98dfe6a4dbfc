"""`fleetops relay` in front of the real control-plane app: agents are checked and answered end to end."""

from __future__ import annotations

import asyncio
import socket

import httpx
from sqlalchemy import func, select

from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.health.api import RELAY_PATH, REPORTS_PATH
from fleetops.health.models import HealthReport
from fleetops.health.relay import create_relay
from tests.factories import bearer, token
from tests.health.reports import body, report


def _stored(database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(HealthReport))


def _through_relay(relay_token: str, posts: list[tuple[str, bytes]], server: str = "http://control-plane"):
    """POST each (agent token, body) to a relay at once; the relay reaches the app over ASGI unless `server`
    names a real address. Returns the agents' responses and how many requests the control plane got."""
    forwarded: list[httpx.Request] = []

    async def scenario() -> list[httpx.Response]:
        plane = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app()) if server == "http://control-plane" else None,
            event_hooks={"request": [_count(forwarded)]},
        )
        relay = create_relay(server, relay_token, window_s=0.05, client=plane)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=relay), base_url="http://relay"
        ) as agents:
            calls = [
                agents.post(REPORTS_PATH, content=payload, headers=bearer(who)) for who, payload in posts
            ]
            answers = await asyncio.gather(*calls)
        await plane.aclose()
        return answers

    return asyncio.run(scenario()), len(forwarded)


def _count(seen: list[httpx.Request]):
    async def hook(request: httpx.Request) -> None:
        seen.append(request)

    return hook


def test_agents_are_stored_under_their_own_tokens_in_one_request(fleet, tokens):
    agent_a = tokens["a000"]["Authorization"].removeprefix("Bearer ")
    agent_b = tokens["b000"]["Authorization"].removeprefix("Bearer ")
    posts = [
        (agent_a, body(report("a000"))),
        (agent_b, body(report("b000"))),
        (agent_a, body(report("b000"))),  # a000's token for b000's report: refused for that agent alone
        ("fo_bogus_secret", body(report("a001"))),
    ]
    answers, requests = _through_relay(token(fleet, Role.RELAY), posts)
    assert [a.status_code for a in answers] == [200, 200, 422, 401]
    assert answers[0].json()["results"][0]["hostname"] == "a000"
    assert answers[2].headers["content-type"] == "application/problem+json"
    assert "bound to node" in answers[2].json()["detail"]
    assert requests == 1
    assert _stored(fleet) == 2


def test_a_token_that_may_not_relay_leaves_agents_to_retry_and_stores_nothing(fleet, tokens):
    agent_a = tokens["a000"]["Authorization"].removeprefix("Bearer ")
    answers, _ = _through_relay(agent_a, [(agent_a, body(report("a000")))])
    assert answers[0].status_code == 502
    assert answers[0].json()["retryable"] is True and "403" in answers[0].json()["detail"]
    assert _stored(fleet) == 0


def test_an_unreachable_control_plane_leaves_agents_to_retry(fleet, tokens):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    agent_a = tokens["a000"]["Authorization"].removeprefix("Bearer ")
    answers, _ = _through_relay(token(fleet, Role.RELAY), [(agent_a, body(report("a000")))], server=closed)
    assert answers[0].status_code == 502 and "unreachable" in answers[0].json()["detail"]
    assert _stored(fleet) == 0


def test_the_relay_endpoint_refuses_other_roles_and_malformed_requests(client, fleet, tokens):
    relay = bearer(token(fleet, Role.RELAY))
    refused = client.post(RELAY_PATH, content=b'{"posts": []}', headers=tokens["a000"])
    assert refused.status_code == 403
    malformed = client.post(RELAY_PATH, content=b'{"posts": [{"token": "x"}]}', headers=relay)
    assert malformed.status_code == 422 and "posts[0]" in malformed.json()["detail"]
    assert client.post(RELAY_PATH, content=b"not json", headers=relay).status_code == 422
    assert _stored(fleet) == 0
