"""Search and the natural-key addresses: each record at a URL by its own name, never another tenant's,
and a friendly HTML page for an address that does not exist."""

from __future__ import annotations

import pytest

from tests.health.reports import body, report, xid


@pytest.mark.parametrize(
    ("q", "page"),
    [
        ("a001", "/nodes/a001"),
        ("SN-a001", "/nodes/a001"),
        ("GPU-a001-3", "/nodes/a001#gpu-3"),
        ("S-a001-4", "/nodes/a001#gpu-4"),
        ("alpha", "/clusters/alpha"),
        ("dfw1", "/map/dfw1"),
    ],
)
def test_a_natural_key_goes_straight_to_its_page(as_role, fleet, q, page):
    found = as_role("acme").get("/search", params={"q": q}, follow_redirects=False)
    assert (found.status_code, found.headers["location"]) == (303, page)


def test_a_partial_name_lists_matches_and_another_tenants_records_are_not_found(as_role, fleet):
    listed = as_role("viewer").get("/search", params={"q": "00"}).text
    assert all(f'href="/nodes/{h}"' in listed for h in ("a000", "a002", "b001"))
    mine = as_role("initech").get("/search", params={"q": "00"}).text
    assert 'href="/nodes/a000"' in mine and "b001" not in mine
    for q in ("b001", "GPU-b001-2", "beta", "aus1"):
        missed = as_role("initech").get("/search", params={"q": q}, follow_redirects=False)
        assert missed.status_code == 404 and 'id="no-match"' in missed.text


def test_gpu_site_and_ticket_addresses(client, as_role, fleet, tokens):
    page = as_role("viewer")
    assert page.get("/gpus/GPU-b002-1", follow_redirects=False).headers["location"] == "/nodes/b002#gpu-1"
    assert page.get("/sites/aus1", follow_redirects=False).headers["location"] == "/map/aus1"
    assert page.get("/tickets/NOPE-1", follow_redirects=False).headers["location"] == "/search?q=NOPE-1"
    client.post(
        "/api/v1/health/reports", content=body(report("b002", xids=[xid(79)])), headers=tokens["admin"]
    )
    assert as_role("umbrella").get("/racks/aus1/r01").status_code == 200


@pytest.mark.parametrize("path", ["/no/such/page", "/incidents/abc", "/clusters/nope", "/racks/dfw1/r99"])
def test_a_wrong_console_address_is_a_friendly_page(as_role, fleet, path):
    answer = as_role("viewer").get(path, headers={"accept": "text/html"})
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert "Not found" in answer.text and 'action="/search"' in answer.text


def test_the_api_still_answers_problem_json(client, fleet, tokens):
    for path in ("/api/v1/nowhere", "/api/v1/nodes/abc"):
        answer = client.get(path, headers=tokens["viewer"] | {"accept": "text/html"})
        assert answer.headers["content-type"] == "application/problem+json"
