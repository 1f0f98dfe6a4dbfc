"""The deployments API: plan → start → status, refusals as problem+json, roles, the human queue."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.deploy import decommission
from fleetops.deploy.api import router
from fleetops.deploy.backends import simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from tests.deploy.fleet import racked_fleet
from tests.factories import load, token


@pytest.fixture
def client(database):
    app = create_app()
    if not any(getattr(r, "path", "").startswith("/api/v1/deployments") for r in app.routes):
        app.include_router(router)
    return TestClient(app)


def auth(database, role=Role.OPERATOR, **binding):
    return {"Authorization": f"Bearer {token(database, role, **binding)}"}


PLAN = {"name": "r1", "cluster": "gamma", "image": "ubuntu-22.04-gpu", "profile": "k8s-cis", "pod": "sp1"}


def test_plan_start_and_watch_to_ready(database, client, manual_clock):
    load(database, racked_fleet(nodes=4))
    headers = auth(database)
    created = client.post("/api/v1/deployments/plan", json=PLAN, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["counts"]["enrolled"] == 4 and created.json()["state"] == "planned"
    assert client.post("/api/v1/deployments/r1/start", headers=headers).json()["state"] == "running"
    engine = Engine(simulated_backends(), Limits(threads=1))
    while engine.tick(database):
        pass
    body = client.get("/api/v1/deployments/r1", headers=auth(database, Role.VIEWER)).json()
    assert body["state"] == "completed" and body["ready"] == 4 and body["gpus_ready"] == 32
    assert [r["name"] for r in client.get("/api/v1/deployments", headers=headers).json()] == ["r1"]


def test_bare_metal_plan_is_a_problem_json(database, client):
    load(database, racked_fleet(orchestrator="slurm-bare-metal"))
    response = client.post("/api/v1/deployments/plan", json=PLAN, headers=auth(database))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "slurm-bare-metal is not compliant" in response.json()["detail"]


def test_viewer_cannot_start_and_customer_cannot_read(database, client):
    load(database, racked_fleet(nodes=2))
    client.post("/api/v1/deployments/plan", json=PLAN, headers=auth(database))
    assert client.post("/api/v1/deployments/r1/start", headers=auth(database, Role.VIEWER)).status_code == 403
    assert (
        client.get("/api/v1/deployments/r1", headers=auth(database, Role.SUPPLIER, supplier_id=1)).status_code
        == 403
    )
    assert client.get("/api/v1/deployments/needs-human", headers=auth(database, Role.VIEWER)).json() == []


def test_decommission_within_deadline(database, client, manual_clock):
    load(database, racked_fleet(nodes=3))
    headers = auth(database)
    client.post("/api/v1/deployments/plan", json=PLAN, headers=headers)
    client.post("/api/v1/deployments/r1/start", headers=headers)
    engine = Engine(simulated_backends(), Limits(threads=1))
    while engine.tick(database):
        pass
    response = client.post("/api/v1/deployments/decommission", json={"cluster": "gamma"}, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()  # nothing configured to drain and wipe with: it waits, saying so, touching nothing
    assert body["state"] == "draining" and "no drain and wipe configured" in body["last_error"]
    previous = decommission.use_hooks(decommission.Hooks())
    try:
        again = client.post("/api/v1/deployments/decommission", json={"cluster": "gamma"}, headers=headers)
    finally:
        decommission.use_hooks(previous)
    body = again.json()
    assert body["state"] == "done" and body["nodes_released"] == 3 and body["within_deadline"] is True
    done = client.post("/api/v1/deployments/decommission", json={"cluster": "gamma"}, headers=headers)
    assert done.status_code == 409 and "already decommissioned" in done.json()["detail"]
