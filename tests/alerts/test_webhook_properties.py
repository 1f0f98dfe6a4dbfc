"""Alertmanager webhooks as they arrive, real captures bent out of shape, posted to the real endpoint on
both databases: every body is taken (200) or refused as problem+json 4xx naming the payload and field,
never a 500 (which Alertmanager would retry forever)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from tests.factories import load, token, two_tenant_fleet
from tests.json_places import places, replaced

CAPTURES = json.loads((Path(__file__).parent / "fixtures" / "alertmanager-0.25-webhook.json").read_text())
URL = "/api/v1/alerts/alertmanager"
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TIMES = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00Z"]),
)
TEXT = st.text(max_size=20) | st.sampled_from(["a\x00b", "x" * 2000])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | TEXT | TIMES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture
def webhook(database, manual_clock) -> tuple[TestClient, dict[str, str]]:
    load(database, two_tenant_fleet())
    return TestClient(create_app()), {"Authorization": f"Bearer {token(database, Role.OPERATOR)}"}


def _bent(seed: int, value: Any) -> Any:
    """A real capture with one value anywhere replaced."""
    rng = random.Random(seed)
    body = json.loads(json.dumps(rng.choice(CAPTURES)["body"]))
    return replaced(body, rng.choice(places(body)), value)


def _taken_or_refused(client: TestClient, headers: dict[str, str], body: bytes) -> None:
    response = client.post(URL, content=body, headers=headers | {"Content-Type": "application/json"})
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert response.headers["content-type"].startswith("application/problem+json")
        # NUL is refused in every JSON body before the webhook reads it (api/deps.py)
        assert response.json()["detail"].startswith(("webhook payload", "body: ")), response.json()


@SETTINGS
@given(seed=st.integers(0, 2**32), value=JSON_VALUES)
def test_a_real_capture_with_any_value_anywhere_is_taken_or_refused(webhook, seed: int, value: Any) -> None:
    client, headers = webhook
    _taken_or_refused(client, headers, json.dumps(_bent(seed, value)).encode())


@SETTINGS
@given(seed=st.integers(0, 2**32), starts=TIMES, ends=TIMES, status=st.sampled_from(["firing", "resolved"]))
def test_any_timestamps_are_taken_or_refused(webhook, seed: int, starts: str, ends: str, status: str) -> None:
    client, headers = webhook
    body = json.loads(json.dumps(random.Random(seed).choice(CAPTURES)["body"]))
    for alert in body["alerts"]:
        alert.update(startsAt=starts, endsAt=ends, status=status)
    _taken_or_refused(client, headers, json.dumps(body).encode())


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,  # json recurses: RecursionError
        b'{"version": "4", "truncatedAlerts": ' + b"9" * 5000 + b"}",  # int(): a ValueError, not JSON's
    ],
    ids=["nested-100000-deep", "number-of-5000-digits"],
)
def test_bodies_that_crashed_the_parser_are_refused(webhook, body: bytes) -> None:
    client, headers = webhook
    response = client.post(URL, content=body, headers=headers | {"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"].startswith("webhook payload: ")
