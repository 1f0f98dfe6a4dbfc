"""Importing over the API on both databases: findings open, close, reopen; refusals are kept and store
nothing; the same file twice changes nothing; each tenant sees only its own findings."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fleetops.clock import ManualClock
from fleetops.db.session import Database
from fleetops.security.models import SecurityFinding, SecurityImport
from tests.security.scans import post_scan, trivy

IMPORTS = "/api/v1/security/imports"
FINDINGS = "/api/v1/security/findings"


def counts(database: Database) -> tuple[int, int]:
    with database.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(SecurityFinding)) or 0,
            session.scalar(select(func.count()).select_from(SecurityImport)) or 0,
        )


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def findings(client: TestClient, headers: dict[str, str], **params: object) -> list[dict[str, object]]:
    response = client.get(FINDINGS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_trivy_import_opens_findings_due_by_severity(
    client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    answer = post_scan(client, tokens["operator"], "trivy", "trivy-rootfs.json", host="a000")
    assert answer.status_code == 201, answer.text
    assert answer.json() | {"import_id": 0} == {
        "outcome": "accepted",
        "import_id": 0,
        "asset": "a000",
        "asset_kind": "node",
        "findings": 3,
        "opened": 3,
        "closed": 0,
        "reopened": 0,
    }
    due = {f["check_id"]: f["due_at"] for f in findings(client, tokens["viewer"], node="a000", open=True)}
    now = manual_clock.now()
    assert due == {
        "CVE-2024-6387": iso(now + timedelta(days=7)),
        "CVE-2023-4911": iso(now + timedelta(days=30)),
        "CVE-2022-3219": iso(now + timedelta(days=120)),
    }


def test_same_file_twice_changes_nothing(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    first = post_scan(client, tokens["operator"], "lynis", "lynis-report.dat")
    before = counts(fleet)
    again = post_scan(client, tokens["operator"], "lynis", "lynis-report.dat")
    assert again.status_code == 201
    assert again.json() == {"outcome": "unchanged", "import_id": first.json()["import_id"], "asset": "a000"}
    assert counts(fleet) == before == (16, 1)


def test_reimport_closes_what_vanished_and_reopens_what_returned(
    client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    both = trivy(("CVE-1", "openssl", "CRITICAL"), ("CVE-2", "curl", "HIGH"))
    post_scan(client, tokens["operator"], "trivy", "day0.json", both, host="a000")
    manual_clock.advance(86400)
    fixed = post_scan(
        client, tokens["operator"], "trivy", "day1.json", trivy(("CVE-2", "curl", "HIGH")), host="a000"
    )
    assert (fixed.json()["closed"], fixed.json()["opened"]) == (1, 0)
    manual_clock.advance(86400)
    back = post_scan(client, tokens["operator"], "trivy", "day2.json", both, host="a000")
    assert (back.json()["reopened"], back.json()["opened"], back.json()["closed"]) == (1, 0, 0)
    (cve1,) = findings(client, tokens["viewer"], check="CVE-1")
    assert cve1["status"] == "open" and cve1["reopened"] == 1 and cve1["fixed_at"] is None
    assert cve1["first_seen"] == iso(manual_clock.now() - timedelta(days=2))
    assert cve1["due_at"] == iso(manual_clock.now() + timedelta(days=7))  # a new clock


def test_the_host_a_file_names_is_used_and_an_unknown_one_refused(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    assert post_scan(client, tokens["operator"], "openscap", "arf.xml").json()["asset"] == "a001"
    data = (
        (post_scan.__globals__["FIXTURES"] / "xccdf-results.xml").read_bytes().replace(b">a000<", b">ghost<")
    )
    refused = post_scan(client, tokens["operator"], "openscap", "oscap-ghost.xml", data)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "oscap-ghost.xml: /Benchmark/TestResult/target: unknown host 'ghost'"
    unknown = post_scan(
        client, tokens["operator"], "trivy", "t.json", trivy(("CVE-9", "x", "LOW")), host="nope"
    )
    assert unknown.json()["detail"] == "t.json: host (parameter): unknown host 'nope'"
    log = client.get(IMPORTS, params={"outcome": "rejected"}, headers=tokens["viewer"]).json()
    assert [(i["filename"], i["outcome"]) for i in log] == [
        ("t.json", "rejected"),
        ("oscap-ghost.xml", "rejected"),
    ]
    assert counts(fleet) == (1, 3)  # a001's one failed rule; the refusals stored no finding


def test_a_refused_file_stores_nothing_even_after_a_good_one(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    post_scan(client, tokens["operator"], "trivy", "trivy-rootfs.json", host="a000")
    data = (post_scan.__globals__["FIXTURES"] / "trivy-rootfs.json").read_bytes()
    cut = post_scan(client, tokens["operator"], "trivy", "trivy-rootfs.json", data[:900], host="a000")
    assert cut.status_code == 422 and cut.json()["detail"].startswith("trivy-rootfs.json: line ")
    assert len(findings(client, tokens["viewer"], open=True)) == 3  # the cut file closed nothing


def test_kube_bench_for_a_cluster_and_an_image(client: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    bench = post_scan(client, tokens["operator"], "kube-bench", "kube-bench.json", cluster="alpha")
    assert (bench.json()["asset_kind"], bench.json()["asset"], bench.json()["opened"]) == (
        "cluster",
        "alpha",
        3,
    )
    image = post_scan(client, tokens["operator"], "trivy", "trivy-image.json", cluster="beta")
    assert image.json()["asset_kind"] == "image"
    assert {f["asset"] for f in findings(client, tokens["umbrella"])} == {
        "registry.example.com/gpu-operator:v24.3.0"
    }
    assert {f["asset"] for f in findings(client, tokens["initech"])} == {"alpha"}


def test_tenants_see_only_their_own_findings(client: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    for host in ("a000", "b000"):
        post_scan(
            client, tokens["operator"], "trivy", f"{host}.json", trivy(("CVE-1", "x", "HIGH")), host=host
        )
    post_scan(client, tokens["operator"], "trivy", "trivy-image.json")  # for no cluster: staff only
    seen = {
        who: {f["asset"] for f in findings(client, tokens[who])} for who in ("viewer", "initech", "globex")
    }
    assert seen == {
        "viewer": {"a000", "b000", "registry.example.com/gpu-operator:v24.3.0"},
        "initech": {"a000"},
        "globex": {"b000"},
    }
    assert client.get(IMPORTS, headers=tokens["initech"]).status_code == 403
    assert post_scan(client, tokens["initech"], "lynis", "lynis-report.dat").status_code == 403


def test_an_agent_imports_only_for_its_own_node(fleet: Database, client: TestClient) -> None:
    from fleetops.auth.choices import Role
    from tests.factories import bearer, token

    agent = bearer(token(fleet, Role.AGENT, node_id=1))  # a000
    mine = post_scan(client, agent, "trivy", "trivy-rootfs.json")
    assert (mine.status_code, mine.json()["asset"]) == (201, "a000")
    assert post_scan(client, agent, "trivy", "trivy-rootfs.json", host="b000").status_code == 403


def test_accepted_risk_needs_a_reason_and_counts_as_open_once_expired(
    client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    post_scan(client, tokens["operator"], "trivy", "t.json", trivy(("CVE-1", "x", "CRITICAL")), host="a000")
    (finding,) = findings(client, tokens["viewer"])
    until = (manual_clock.now() + timedelta(days=10)).isoformat()
    url = f"{FINDINGS}/{finding['id']}/accept"
    assert (
        client.post(url, json={"until": until, "reason": " "}, headers=tokens["operator"]).status_code == 422
    )
    assert client.post(url, json={"until": until, "reason": "x"}, headers=tokens["viewer"]).status_code == 403
    accepted = client.post(
        url, json={"until": until, "reason": "no exploit path", **{}}, headers=tokens["operator"]
    )
    assert accepted.json()["status"] == "accepted"
    assert findings(client, tokens["viewer"], open=True) == []
    manual_clock.advance(10 * 86400)
    (expired,) = findings(client, tokens["viewer"], open=True)
    assert expired["status"] == "open" and expired["overdue"] is True


def post_batch(
    client: TestClient, headers: dict[str, str], scanner: str, files: list[tuple[str, bytes]]
) -> dict[str, object]:
    sent = [("files", (name, data)) for name, data in files]
    answer = client.post(f"{IMPORTS}/batch", params={"scanner": scanner}, files=sent, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_batch_stores_each_good_file_and_refuses_each_bad_one_alone(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    good = trivy(("CVE-1", "openssl", "CRITICAL"), ("CVE-2", "curl", "HIGH"))
    files = [("a000.json", good), ("b000.json", good[:-7]), ("zz999.json", good), ("a001.json", good)]
    answer = post_batch(client, tokens["operator"], "trivy", files)
    assert (answer["accepted"], answer["unchanged"], answer["rejected"]) == (2, 0, 2)
    outcomes = [(r["file"], r["outcome"], r.get("asset"), r.get("detail", "")) for r in answer["results"]]
    assert outcomes[0][:3] == ("a000.json", "accepted", "a000")
    assert outcomes[1][:2] == ("b000.json", "rejected") and outcomes[1][3].startswith("b000.json: ")
    assert outcomes[2] == ("zz999.json", "rejected", None, "zz999.json: file name: unknown host 'zz999'")
    assert outcomes[3][:3] == ("a001.json", "accepted", "a001")
    assert counts(fleet) == (4, 4)  # two files' findings; two accepted and two refused imports logged
    assert findings(client, tokens["viewer"], node="b000") == []
    again = post_batch(client, tokens["operator"], "trivy", [files[0], files[3]])
    assert [r["outcome"] for r in again["results"]] == ["unchanged", "unchanged"]
    assert counts(fleet) == (4, 4)


def test_one_asset_twice_in_a_batch_is_reconciled_in_order(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    day0 = trivy(("CVE-1", "openssl", "CRITICAL"), ("CVE-2", "curl", "HIGH"))
    day1 = trivy(("CVE-2", "curl", "HIGH"))
    answer = post_batch(client, tokens["operator"], "trivy", [("a000.json", day0), ("a000.day1.json", day1)])
    assert [(r["opened"], r["closed"]) for r in answer["results"]] == [(2, 0), (0, 1)]
    assert [f["check_id"] for f in findings(client, tokens["viewer"], node="a000", open=True)] == ["CVE-2"]


def test_a_tenant_cannot_batch_import(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    sent = [("files", ("a000.json", trivy(("CVE-1", "openssl", "CRITICAL"))))]
    refused = client.post(
        f"{IMPORTS}/batch", params={"scanner": "trivy"}, files=sent, headers=tokens["initech"]
    )
    assert refused.status_code == 403
    assert counts(fleet) == (0, 0)
