"""The asset API per role: staff see all, a supplier its sites', a customer its clusters'; writes by staff."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fleetops.db.session import Database
from tests.assets.conftest import DELIVERY_CSV, import_file, order

ASN_B = "ShipmentNo,PONumber,Serial Number,ShipDate\nASN-B,PO-B,SN-b000,03/02/2026 10:00\n"


def test_each_role_sees_only_its_own_assets(
    shipped: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    order(shipped, "PO-B", quantity=1, site="aus1", cluster="beta")
    import_file(shipped, "asn", ASN_B)
    seen = {
        who: sorted(a["serial"] for a in client.get("/api/v1/assets", headers=tokens[who]).json())
        for who in ("viewer", "acme", "globex", "initech", "umbrella")
    }
    assert seen["viewer"] == ["SN-a000", "SN-a001", "SN-a002", "SN-b000"]
    assert seen["acme"] == seen["initech"] == ["SN-a000", "SN-a001", "SN-a002"]
    assert seen["globex"] == seen["umbrella"] == ["SN-b000"]
    assert client.get("/api/v1/assets/SN-a000", headers=tokens["globex"]).status_code == 404
    assert client.get("/api/v1/assets/SN-a000", headers=tokens["acme"]).json()["state"] == "shipped"
    assert client.get("/api/v1/assets").status_code == 401
    assert client.get("/api/v1/assets/orders", headers=tokens["acme"]).status_code == 403


def test_moves_are_for_staff_and_a_refusal_is_problem_json(
    shipped: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    import_file(shipped, "delivery", DELIVERY_CSV)
    body = {"state": "received", "reason": "scanned at dock"}
    assert client.post("/api/v1/assets/SN-a000/move", json=body, headers=tokens["acme"]).status_code == 403
    done = client.post("/api/v1/assets/SN-a000/move", json=body, headers=tokens["operator"])
    assert done.status_code == 200 and done.json()["history"][-1]["actor"] == "operator:operator-token"
    bad = client.post(
        "/api/v1/assets/SN-a000/move",
        json={"state": "retired", "reason": "x", "colour": 1},
        headers=tokens["operator"],
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    wrong = client.post("/api/v1/assets/SN-a002/move", json=body, headers=tokens["operator"])
    assert wrong.status_code == 409 and "shipped → received is not allowed" in wrong.json()["detail"]


def test_the_http_endpoint_takes_the_same_events_as_the_files(
    shipped: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    records = [{"serial": "SN-a002", "po": "PO-1", "delivered_at": "2026-03-05T11:00:00Z"}]
    url = "/api/v1/assets/events/delivery"
    assert client.post(url, json=records, headers=tokens["operator"]).json() == {
        "created": 0,
        "moved": 1,
        "unchanged": 0,
    }
    assert client.post(url, json=records, headers=tokens["operator"]).json()["unchanged"] == 1
    unknown = client.post(
        url, json=[{"serial": "SN-zz", "delivered_at": "2026-03-05T11:00:00Z"}], headers=tokens["operator"]
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == (
        "POST /assets/events/delivery record 1: field serial: "
        "unknown serial 'SN-zz': no ASN or order lists it"
    )
    assert client.post(url, json=records, headers=tokens["acme"]).status_code == 403


def test_spares_project_the_stockout_and_flag_reorders(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock
) -> None:
    spare = {"site": "dfw1", "part": "QSFP112-400G-SR4", "kind": "optic", "stock": 40, "reorder_point": 20}
    assert (
        client.put(
            "/api/v1/assets/spares", json=spare | {"usage_per_day": 4.0}, headers=tokens["operator"]
        ).status_code
        == 200
    )
    cable = {
        "site": "aus1",
        "part": "DAC-2m",
        "kind": "cable",
        "stock": 5,
        "reorder_point": 10,
        "usage_per_day": 0,
    }
    client.put("/api/v1/assets/spares", json=cable, headers=tokens["operator"])
    rows = client.get("/api/v1/assets/spares", headers=tokens["viewer"]).json()
    assert [(r["part"], r["projected_stockout"], r["reorder"]) for r in rows] == [
        ("QSFP112-400G-SR4", "2026-01-11", False),
        ("DAC-2m", None, True),
    ]
    assert [r["part"] for r in client.get("/api/v1/assets/spares", headers=tokens["globex"]).json()] == [
        "DAC-2m"
    ]
    assert client.put("/api/v1/assets/spares", json=cable, headers=tokens["globex"]).status_code == 403
    nowhere = client.put(
        "/api/v1/assets/spares", json=cable | {"site": "nowhere"}, headers=tokens["operator"]
    )
    assert nowhere.status_code == 422 and "field site: no site named 'nowhere'" in nowhere.json()["detail"]
