"""The console's /assets page per role: staff see every count and the fleet-wide reports; a customer or a
supplier its own assets' counts, moves and spares and nothing else."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from fleetops.adapters.netbox.fake import FakeNetbox
from fleetops.db.session import Database
from tests.assets.conftest import import_file, order

ASN_B = "ShipmentNo,PONumber,Serial Number,ShipDate\nASN-B,PO-B,SN-b000,03/02/2026 10:00\n"


def page(client: TestClient, tokens: dict[str, dict[str, str]], who: str, path: str = "/assets") -> str:
    client.cookies.set("fleetops_token", tokens[who]["Authorization"].removeprefix("Bearer "))
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.text


def shipped_count(html: str) -> int:
    found = re.search(r'id="state-shipped" data-count="(\d+)"', html)
    assert found is not None
    return int(found.group(1))


def test_each_role_sees_its_own_assets_and_only_staff_the_fleet_reports(
    shipped: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    order(shipped, "PO-B", quantity=1, site="aus1", cluster="beta")
    import_file(shipped, "asn", ASN_B)
    client.put(
        "/api/v1/assets/spares",
        json={"site": "aus1", "part": "QSFP-400G", "kind": "optic", "stock": 4, "reorder_point": 10,
              "usage_per_day": 2.0},
        headers=tokens["operator"],
    ).raise_for_status()  # fmt: skip
    staff = page(client, tokens, "viewer")
    assert shipped_count(staff) == 4 and 'data-serial="SN-b000"' in staff and 'data-serial="SN-a000"' in staff
    assert 'id="sla-timers"' in staff and 'id="mismatches"' in staff and 'id="completeness"' in staff
    assert 'data-part="QSFP-400G"' in staff and "reorder</span>" in staff
    assert "NetBox is not configured" in staff and 'data-pod="p1"' in staff

    for tenant, mine, theirs, count in (
        ("initech", "SN-a000", "SN-b000", 3),
        ("acme", "SN-a000", "SN-b000", 3),
        ("umbrella", "SN-b000", "SN-a000", 1),
        ("globex", "SN-b000", "SN-a000", 1),
    ):
        html = page(client, tokens, tenant)
        assert shipped_count(html) == count, tenant
        assert f'data-serial="{mine}"' in html and f'data-serial="{theirs}"' not in html, tenant
        assert 'id="sla-timers"' not in html and 'id="mismatches"' not in html and 'id="drift"' not in html
        assert ('data-part="QSFP-400G"' in html) == (tenant == "globex"), tenant  # aus1 is globex's site


def test_the_page_reads_netbox_for_drift_only_when_asked(
    shipped: Database, client: TestClient, tokens: dict[str, dict[str, str]], fake_netbox: FakeNetbox
) -> None:
    client.post("/api/v1/assets/netbox/sync", headers=tokens["operator"]).raise_for_status()
    fake_netbox.find("dcim/devices", name="b000")["status"] = "offline"
    answer, asked = fake_netbox.handle_request, []

    def counted(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return answer(request)

    fake_netbox.handle_request = counted  # type: ignore[method-assign]
    plain = page(client, tokens, "viewer")
    assert asked == [] and 'id="compare"' in plain and 'id="drift"' not in plain and 'data-pod="p1"' in plain
    compared = page(client, tokens, "viewer", "/assets?drift=1")
    assert asked and 'id="drift"' in compared and 'data-kind="status"' in compared
    assert 'id="compare"' not in compared


def test_an_anonymous_visit_is_sent_to_sign_in(client: TestClient) -> None:
    answer = client.get("/assets", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
