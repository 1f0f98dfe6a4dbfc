"""The webhook and alert routes over HTTP: authentication, bad input as problem+json, explanations."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetops.alerts.api import router
from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from tests.factories import load, token, two_tenant_fleet

NOW = "2026-01-01T00:00:00Z"


def payload(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="x"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "fleetops",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am.test",
        "alerts": list(alerts),
    }


def am_alert(
    node: str = "a001", name: str = "NodeDown", status: str = "firing", **labels: str
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "instance": f"{node}:9100", **labels},
        "annotations": {"summary": "down"},
        "startsAt": NOW,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prom.test",
        "fingerprint": f"{node}{name}",
    }


@pytest.fixture
def client(database, manual_clock) -> TestClient:
    load(database, two_tenant_fleet())
    app = create_app()
    if not any(getattr(r, "path", "").startswith("/api/v1/alerts") for r in app.routes):
        app.include_router(router)
    return TestClient(app)


@pytest.fixture
def auth(database) -> dict[str, dict[str, str]]:
    agent, viewer = token(database, Role.OPERATOR), token(database, Role.VIEWER)
    basic = base64.b64encode(f"alertmanager:{agent}".encode()).decode()
    return {
        "bearer": {"Authorization": f"Bearer {agent}"},
        "basic": {"Authorization": f"Basic {basic}"},
        "viewer": {"Authorization": f"Bearer {viewer}"},
        "customer": {"Authorization": f"Bearer {token(database, Role.CUSTOMER, customer_id=1)}"},
    }


URL = "/api/v1/alerts/alertmanager"


@pytest.mark.parametrize("scheme", ["bearer", "basic"])
def test_webhook_accepts_bearer_and_basic_auth(client: TestClient, auth, scheme: str) -> None:
    response = client.post(URL, json=payload(am_alert()), headers=auth[scheme])
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 1


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic !!"}])
def test_webhook_refuses_missing_or_wrong_credentials(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(URL, json=payload(am_alert()), headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_webhook_refuses_tenant_tokens(client: TestClient, auth) -> None:
    assert client.post(URL, json=payload(am_alert()), headers=auth["customer"]).status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 422, "not JSON"),
        (b'{"version": "3", "status": "firing", "alerts": []}', 422, "version"),
        (
            b'{"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {}}]}',
            422,
            "alerts.0",
        ),
        (b"[]", 422, "webhook payload"),
    ],
)
def test_malformed_payloads_are_clear_4xx_and_recorded(
    client: TestClient, auth, body: bytes, status: int, words: str
) -> None:
    response = client.post(URL, content=body, headers=auth["bearer"] | {"content-type": "application/json"})
    assert response.status_code == status
    assert words in response.json()["detail"]
    measures = client.get("/api/v1/alerts/measures", headers=auth["viewer"]).json()
    assert measures["rejected_payloads"] == 1


def test_oversized_payload_is_413_and_recorded(client: TestClient, auth) -> None:
    big = payload(*[am_alert(f"a{i:03d}") for i in range(1)])
    big["commonAnnotations"] = {"blob": "x" * (5 * 1024 * 1024)}
    response = client.post(URL, json=big, headers=auth["bearer"])
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert client.get("/api/v1/alerts/measures", headers=auth["viewer"]).json()["rejected_payloads"] == 1


def test_unknown_node_or_cluster_is_4xx_recorded_while_known_alerts_are_kept(
    client: TestClient, auth
) -> None:
    only_unknown = payload(am_alert("zz999"), {**am_alert(), "labels": {"alertname": "X", "cluster": "nope"}})
    response = client.post(URL, json=only_unknown, headers=auth["bearer"])
    assert response.status_code == 422 and "unknown node 'zz999'" in response.json()["detail"]
    mixed = client.post(URL, json=payload(am_alert("a001"), am_alert("zz999")), headers=auth["bearer"])
    assert mixed.status_code == 200 and mixed.json()["stored"] == 1
    assert mixed.json()["rejected"] == ["unknown node 'zz999': not in the inventory"]
    assert client.get("/api/v1/alerts/measures", headers=auth["viewer"]).json()["rejected_payloads"] == 2


def test_labels_fleetops_owns_are_overwritten_from_inventory(client: TestClient, auth) -> None:
    body = payload(am_alert("a001", rack="fake", customer="umbrella", owner="hardware"))
    assert client.post(URL, json=body, headers=auth["bearer"]).status_code == 200
    incident = client.get("/api/v1/alerts/incidents", headers=auth["viewer"]).json()[0]
    assert incident["labels"]["customer"] == "initech" and incident["labels"]["rack"] == "dfw1/r01"


def test_repeats_refresh_and_explain_says_why(client: TestClient, auth) -> None:
    for _ in range(3):
        result = client.post(
            URL, json=payload(am_alert("a001", owner="hardware")), headers=auth["bearer"]
        ).json()
    assert result["duplicates"] == 1
    incidents = client.get("/api/v1/alerts/incidents", headers=auth["viewer"]).json()
    assert len(incidents) == 1 and incidents[0]["alert_count"] == 1
    explained = client.get("/api/v1/alerts/1/explain", headers=auth["viewer"]).json()
    assert explained["alert"]["repeats"] == 2
    assert explained["verdict"].startswith("not paged: incident #")
    assert "P2" in explained["verdict"] and "supplier-tickets" in explained["verdict"]
    assert client.get("/api/v1/alerts/999/explain", headers=auth["viewer"]).status_code == 404


def test_silence_crud_and_effect(client: TestClient, auth, database) -> None:
    admin = {"Authorization": f"Bearer {token(database, Role.ADMIN)}"}
    bad = client.post(
        "/api/v1/alerts/silences", json={"matchers": ["cluster=~("], "ends_at": NOW}, headers=admin
    )
    assert bad.status_code == 422
    made = client.post(
        "/api/v1/alerts/silences",
        headers=admin,
        json={"matchers": ['cluster="alpha"'], "ends_at": "2026-01-02T00:00:00Z", "comment": "rack work"},
    )
    assert made.status_code == 201, made.text
    client.post(URL, json=payload(am_alert("a001", owner="hardware")), headers=auth["bearer"])
    incident = client.get("/api/v1/alerts/incidents", headers=auth["viewer"]).json()[0]
    assert incident["disposition"] == "suppressed" and "rack work" in incident["reason"]
    assert client.get("/api/v1/alerts/silences", headers=auth["viewer"]).json()[0]["comment"] == "rack work"
    assert client.delete(f"/api/v1/alerts/silences/{made.json()['id']}", headers=admin).status_code == 200
    assert (
        client.post(
            "/api/v1/alerts/silences", json={"matchers": ['a="b"'], "ends_at": NOW}, headers=auth["viewer"]
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("labels", "owner"),
    [
        ({"xid": "79"}, "hardware"),
        ({"xid": "13"}, "application"),
        ({"xid": "109"}, "driver"),
        ({"owner": "customer"}, "customer"),
        ({"owner": "martian"}, "unknown"),
        ({}, "unknown"),
    ],
)
def test_owner_comes_from_the_label_or_the_xid_catalog(labels: dict[str, str], owner: str) -> None:
    from fleetops.alerts.ingest import owner_of

    assert owner_of(labels) == owner


CAPTURE = Path(__file__).parent / "fixtures" / "alertmanager-0.25-webhook.json"


def test_replaying_a_real_alertmanager_capture(client: TestClient, auth) -> None:
    """Two posts captured from Alertmanager 0.25 (nanosecond timestamps, year-1 endsAt, a resolve)."""
    captured = json.loads(CAPTURE.read_text())
    assert captured[0]["headers"]["User-Agent"] == "Alertmanager/0.25.0"
    for post in captured:
        response = client.post(URL, json=post["body"], headers=auth["bearer"])
        assert response.status_code == 200, response.text
    incidents = {i["owner"]: i for i in client.get("/api/v1/alerts/incidents", headers=auth["viewer"]).json()}
    assert (incidents["hardware"]["status"], incidents["hardware"]["priority"]) == ("open", "P2")
    assert (incidents["application"]["status"], incidents["application"]["priority"]) == ("resolved", "P3")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "version": st.just("4"),
                "status": st.sampled_from(["firing", "resolved", "x"]),
                "alerts": st.lists(
                    st.dictionaries(
                        st.sampled_from(["status", "labels", "annotations", "startsAt", "fingerprint"]),
                        json_values,
                        max_size=5,
                    ),
                    max_size=3,
                ),
            }
        ),
    )
)
def test_webhook_parser_answers_or_refuses_never_crashes(body: object) -> None:
    from fleetops.alerts.api import _parse
    from fleetops.errors import InvalidInput

    try:
        parsed = _parse(json.dumps(body).encode())
    except InvalidInput as exc:
        assert exc.message.startswith("webhook payload")
        return
    assert parsed.version == "4"
