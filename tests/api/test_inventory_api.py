"""The inventory API as a client sees it: CRUD, filters, cursor pages, problem+json, authentication."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import select

from fleetops.auth.models import ApiToken
from fleetops.inventory import service
from fleetops.inventory.kinds import KINDS
from fleetops.inventory.models import Cluster, Supplier
from tests.factories import make_node

PROBLEM = "application/problem+json"


def test_every_endpoint_requires_a_token(client, fleet):
    spec = client.get("/openapi.json").json()
    calls = [(method, re.sub(r"{[^}]+}", "1", path)) for path, ops in spec["paths"].items() for method in ops]
    assert len(calls) > 30
    for method, path in [*calls, ("get", "/metrics")]:
        response = client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"] == PROBLEM


def test_tokens_are_stored_hashed(client, fleet, tokens):
    secret = tokens["admin"]["Authorization"].split("_", 2)[2]
    with fleet.transaction() as session:
        stored = session.scalars(select(ApiToken.secret_hash)).all()
    assert stored and all(secret not in h and len(h) == 64 for h in stored)
    assert client.get("/api/v1/nodes", headers={"Authorization": "Bearer fo_abc_wrong"}).status_code == 401


def test_create_get_update_and_conflict(client, tokens):
    admin = tokens["admin"]
    created = client.post(
        "/api/v1/suppliers", json={"name": "initrode", "contact_email": "noc@initrode.example"}, headers=admin
    )
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    assert client.get(f"/api/v1/suppliers/{sid}", headers=admin).json()["name"] == "initrode"
    again = client.post("/api/v1/suppliers", json={"name": "initrode"}, headers=admin)
    assert again.status_code == 409 and again.json()["detail"] == "supplier initrode: already exists"
    patched = client.patch(
        f"/api/v1/suppliers/{sid}", json={"contact_email": "ops@initrode.example"}, headers=admin
    )
    assert patched.json()["contact_email"] == "ops@initrode.example"
    audit = client.get("/api/v1/audit", params={"target_key": "initrode"}, headers=admin).json()["items"]
    assert [e["action"] for e in audit] == ["supplier.create", "supplier.update"]
    assert audit[1]["changes"] == {"contact_email": ["noc@initrode.example", "ops@initrode.example"]}


def test_node_create_with_gpus_and_bad_bodies(client, tokens):
    admin = tokens["operator"]
    node = {
        "hostname": "a100",
        "serial": "SN-a100",
        "site": "dfw1",
        "rack": "r01",
        "gpu_model": "H100",
        "gpu_count": 2,
        "cluster": "alpha",
        "gpus": [{"index": 0, "uuid": "GPU-x0"}, {"index": 1, "uuid": "GPU-x1"}],
    }
    assert client.post("/api/v1/nodes", json=node, headers=admin).status_code == 201
    gpus = client.get("/api/v1/gpus", params={"node": "a100"}, headers=admin).json()["items"]
    assert [g["uuid"] for g in gpus] == ["GPU-x0", "GPU-x1"]
    bad = client.post("/api/v1/nodes", json=node | {"hostname": "a101", "serial": "SN-a100"}, headers=admin)
    assert bad.status_code == 409 and "field serial" in bad.json()["detail"]
    mismatch = client.post(
        "/api/v1/nodes", json=node | {"hostname": "a102", "serial": "x", "gpu_count": 3}, headers=admin
    )
    assert mismatch.status_code == 422 and "gpu_count is 3 but 2 GPUs" in mismatch.json()["detail"]
    unknown = client.post(
        "/api/v1/nodes",
        json=node | {"hostname": "a103", "serial": "y", "rack": "r99", "gpus": None},
        headers=admin,
    )
    assert (
        unknown.status_code == 422
        and unknown.json()["detail"] == "node a103: field rack: unknown rack 'dfw1/r99'"
    )
    assert unknown.headers["content-type"] == PROBLEM


def test_viewer_reads_but_cannot_write(client, tokens):
    assert client.get("/api/v1/clusters", headers=tokens["viewer"]).status_code == 200
    response = client.post("/api/v1/regions", json={"name": "eu"}, headers=tokens["viewer"])
    assert response.status_code == 403 and response.headers["content-type"] == PROBLEM


def test_filters_and_cursor_pagination_walk_every_node_once(client, tokens):
    admin = tokens["admin"]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/nodes", params=params, headers=admin).json()
        seen += [n["hostname"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["a000", "a001", "a002", "b000", "b001", "b002"]
    beta = client.get("/api/v1/nodes", params={"cluster": "beta", "supplier": "globex"}, headers=admin).json()
    assert [n["hostname"] for n in beta["items"]] == ["b000", "b001", "b002"]
    assert client.get("/api/v1/nodes", params={"state": "ready", "site": "aus1"}, headers=admin).json()[
        "items"
    ]
    assert client.get("/api/v1/nodes", params={"cursor": "!!"}, headers=admin).status_code == 422
    assert client.get("/api/v1/clusters", params={"rack": "r01"}, headers=admin).status_code == 422


def test_listed_records_read_like_the_record_itself(client, tokens):
    """Lists are encoded from the database's values in one pass, records one by one: a client must not
    see two spellings of the same record."""
    admin = tokens["admin"]
    for kind in KINDS.values():
        [listed] = client.get(f"/api/v1/{kind.plural}", params={"limit": 1}, headers=admin).json()["items"]
        one = client.get(f"/api/v1/{kind.plural}/{listed['id']}", headers=admin).json()
        assert listed.keys() == one.keys(), kind.name
        for field, value in one.items():
            if field.endswith("_at"):
                assert datetime.fromisoformat(listed[field]) == datetime.fromisoformat(value), field
            else:
                assert listed[field] == value, (kind.name, field)


def test_first_page_total_counts_what_the_caller_may_see(client, tokens):
    spare = make_node("spare", cluster=None, state="racked")  # racked at acme's dfw1, in nobody's cluster
    assert client.post("/api/v1/nodes", json=spare, headers=tokens["admin"]).status_code == 201

    def total(who: str, **filters: str) -> int:
        page = client.get("/api/v1/nodes", params={"limit": 1, **filters}, headers=tokens[who]).json()
        return int(page["total"])

    assert [total(who) for who in ("admin", "initech", "umbrella", "acme", "globex")] == [7, 3, 3, 4, 3]
    assert total("admin", cluster="beta") == 3 and total("admin", site="dfw1") == 4
    assert total("acme", state="ready") == 3


def test_only_a_view_that_keeps_every_row_is_counted_over_its_bare_table():
    assert all(service._whole(kind) for kind in KINDS.values())
    cluster = KINDS["cluster"]
    inner_on_nullable = replace(cluster, joins=((Supplier, Cluster.supplier_id == Supplier.id),))
    assert not service._whole(inner_on_nullable)  # a cluster without a supplier would drop out of the view


@pytest.mark.parametrize(
    "body,detail",
    [
        ({"name": "z", "orchestrator": "nomad"}, "field orchestrator"),
        ({"name": "z", "orchestrator": "kubernetes", "customer": "nobody"}, "unknown customer 'nobody'"),
    ],
)
def test_bad_cluster_bodies(client, tokens, body, detail):
    response = client.post("/api/v1/clusters", json=body, headers=tokens["admin"])
    assert response.status_code == 422 and detail in response.json()["detail"]


def test_untracked_report_and_metrics(client, tokens):
    admin = tokens["admin"]
    client.post(
        "/api/v1/clusters", json={"name": "legacy", "orchestrator": "slurm-bare-metal"}, headers=admin
    )
    report = client.get("/api/v1/reports/untracked-clusters", headers=admin).json()["items"]
    assert report == [
        {
            "cluster": "legacy",
            "state": "planned",
            "problems": [
                "missing supplier",
                "missing customer",
                "missing contract",
                "orchestrator slurm-bare-metal is non-compliant",
            ],
        }
    ]
    metrics = client.get("/metrics", headers=tokens["viewer"]).text
    assert 'fleetops_nodes{state="ready",supplier="acme"} 3.0' in metrics
    assert 'fleetops_gpus{state="ready",supplier="globex"} 24.0' in metrics
    assert (
        'fleetops_clusters{compliant="false",orchestrator="slurm-bare-metal",state="planned"} 1.0' in metrics
    )
    assert client.get("/metrics", headers=tokens["initech"]).status_code == 403


def test_openapi_documents_the_api(client):
    spec = client.get("/openapi.json").json()
    assert "/api/v1/nodes" in spec["paths"] and "/api/v1/nodes/{key}" in spec["paths"]
    assert "natural key" in spec["paths"]["/api/v1/nodes/{key}"]["get"]["description"]
    assert "NodeRecord" in spec["components"]["schemas"]
    ids = Counter(op["operationId"] for path in spec["paths"].values() for op in path.values())
    assert [name for name, count in ids.items() if count > 1] == []  # a client generator needs them unique
