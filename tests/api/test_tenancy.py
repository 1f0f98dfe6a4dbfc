"""Tenant isolation, enforced in the query layer: a customer or supplier can neither read nor guess
its way into another tenant's records. Another tenant's id answers exactly like a missing id (404)."""

from __future__ import annotations

import pytest

from fleetops.auth.choices import Role
from tests.factories import bearer, token


def _ids(client, headers, plural):
    return {
        i["id"]
        for i in client.get(f"/api/v1/{plural}", params={"limit": 1000}, headers=headers).json()["items"]
    }


def _names(client, headers, plural, field="name"):
    items = client.get(f"/api/v1/{plural}", params={"limit": 1000}, headers=headers).json()["items"]
    return sorted(i[field] for i in items)


def test_customer_lists_only_its_own_records(client, tokens):
    initech = tokens["initech"]
    assert _names(client, initech, "clusters") == ["alpha"]
    assert _names(client, initech, "nodes", "hostname") == ["a000", "a001", "a002"]
    assert _names(client, initech, "contracts") == ["initech-2026"]
    assert _names(client, initech, "customers") == ["initech"]
    assert {
        g["node"] for g in client.get("/api/v1/gpus", params={"limit": 1000}, headers=initech).json()["items"]
    } == {"a000", "a001", "a002"}
    for plural in ("suppliers", "sites", "racks"):
        assert _names(client, initech, plural) == [], plural


def test_supplier_sees_only_its_own_sites_and_hardware(client, tokens):
    acme = tokens["acme"]
    assert _names(client, acme, "sites") == ["dfw1"]
    assert _names(client, acme, "suppliers") == ["acme"]
    assert _names(client, acme, "nodes", "hostname") == ["a000", "a001", "a002"]
    assert _names(client, acme, "clusters") == ["alpha"]
    assert _names(client, acme, "customers") == [] and _names(client, acme, "contracts") == []


@pytest.mark.parametrize("plural", ["clusters", "nodes", "contracts", "customers", "gpus", "sites", "racks"])
def test_other_tenants_ids_are_404_like_missing_ones(client, tokens, plural):
    everything = _ids(client, tokens["admin"], plural)
    mine = _ids(client, tokens["initech"], plural)
    for other in sorted(everything - mine):
        response = client.get(f"/api/v1/{plural}/{other}", headers=tokens["initech"])
        assert response.status_code == 404, (plural, other)
        missing = client.get(f"/api/v1/{plural}/{max(everything) + 1000}", headers=tokens["initech"])
        assert response.json()["title"] == missing.json()["title"]
        assert response.json()["detail"].split(" ")[0] == missing.json()["detail"].split(" ")[0]
    for own in mine:
        assert client.get(f"/api/v1/{plural}/{own}", headers=tokens["initech"]).status_code == 200


def test_filters_cannot_widen_a_tenants_view(client, tokens):
    """Another tenant's name in a filter is refused exactly as a name that exists nowhere: no probing."""
    for plural, field, theirs, who in (
        ("nodes", "cluster", "alpha", "umbrella"),
        ("nodes", "customer", "initech", "umbrella"),
        ("clusters", "supplier", "acme", "globex"),
    ):
        seen = client.get(f"/api/v1/{plural}", params={field: theirs}, headers=tokens[who])
        nowhere = client.get(f"/api/v1/{plural}", params={field: "nowhere"}, headers=tokens[who])
        assert seen.status_code == nowhere.status_code == 422
        assert seen.json()["detail"] == nowhere.json()["detail"].replace("nowhere", theirs)


def test_tenants_cannot_write_or_read_fleet_wide_views(client, tokens):
    umbrella = tokens["umbrella"]
    node_id = next(iter(_ids(client, umbrella, "nodes")))
    assert (
        client.patch(f"/api/v1/nodes/{node_id}", json={"state": "cordoned"}, headers=umbrella).status_code
        == 403
    )
    assert client.post("/api/v1/customers", json={"name": "x"}, headers=umbrella).status_code == 403
    assert client.get("/api/v1/audit", headers=umbrella).status_code == 403
    assert client.get("/api/v1/reports/untracked-clusters", headers=tokens["acme"]).status_code == 403


def test_console_shows_a_customer_only_its_clusters(client, tokens):
    client.cookies.set("fleetops_token", tokens["initech"]["Authorization"].removeprefix("Bearer "))
    page = client.get("/").text
    assert "alpha" in page and "beta" not in page
    beta_id = _ids(client, tokens["admin"], "clusters") - _ids(client, tokens["initech"], "clusters")
    assert client.get(f"/clusters/{beta_id.pop()}").status_code == 404


def test_a_relay_token_sees_nothing_and_may_do_nothing_but_relay(client, fleet):
    relay = bearer(token(fleet, Role.RELAY))
    for plural in ("clusters", "nodes", "gpus", "customers", "suppliers", "sites", "racks", "contracts"):
        assert _names(client, relay, plural, "id") == [], plural
    assert client.get("/api/v1/audit", headers=relay).status_code == 403
    assert client.get("/api/v1/health/rejections", headers=relay).status_code == 403
    summary = client.get("/api/v1/health/summary", headers=relay).json()
    assert sum(summary["nodes"].values()) == 0


def test_an_inventory_contact_is_read_by_its_owner_and_no_other_tenant(client, tokens):
    """A customer's or supplier's `contact_email` is the operator's record of how to reach that tenant:
    staff write it, the tenant cannot (so it is not write-only like the remediation contacts a tenant sets
    itself: masked, the owner could never check the address fleetops uses), and no other tenant reads it
    anywhere in the API (docs/testing.md)."""
    contacts = {"customers/initech": "ops@initech.example", "suppliers/acme": "noc@acme.example"}
    for record, email in contacts.items():
        written = client.patch(f"/api/v1/{record}", json={"contact_email": email}, headers=tokens["admin"])
        assert written.status_code == 200, written.text
    assert client.get("/api/v1/customers/initech", headers=tokens["initech"]).json()["contact_email"] == (
        "ops@initech.example"
    )
    assert client.get("/api/v1/suppliers/acme", headers=tokens["acme"]).json()["contact_email"] == (
        "noc@acme.example"
    )
    refused = client.patch(
        "/api/v1/customers/initech", json={"contact_email": "x@y.example"}, headers=tokens["initech"]
    )
    assert refused.status_code == 403
    reads = [
        path
        for path, verbs in client.app.openapi()["paths"].items()
        if "get" in verbs and path.startswith("/api/v1/") and "{" not in path
    ]
    reads += [f"/api/v1/{record}" for record in contacts]
    assert len(reads) > 50
    strangers = {
        "ops@initech.example": ("acme", "globex", "umbrella"),
        "noc@acme.example": ("initech", "globex", "umbrella"),
    }
    for email, who in strangers.items():
        for role in who:
            for path in reads:
                seen = client.get(path, headers=tokens[role])
                assert email not in seen.text, (role, path)
