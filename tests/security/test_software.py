"""What is running where, and which nodes a bulletin affects, over the API on both databases: the GPU
driver from the agent's reports, the kernel from Lynis, firmware from the BMC (the fake beside the
client), and the impact assessment by CVE, package range and firmware range, with nodes no source has
described listed as unknown; staff only."""

from __future__ import annotations

import json
from uuid import uuid4

import msgspec
from fastapi.testclient import TestClient
from sqlalchemy import select

from fleetops.adapters.redfish.bmcs import Bmcs
from fleetops.adapters.redfish.fake import FakeRedfish
from fleetops.adapters.redfish.firmware import Firmware
from fleetops.clock import ManualClock
from fleetops.db.session import Database
from fleetops.inventory.models import Node
from fleetops.security import firmware, software
from fleetops.security.models import NodeSoftware
from tests.health.reports import body, gpu, report
from tests.security.scans import FIXTURES, post_scan
from tests.statements import recorded

AFFECTED = "/api/v1/security/affected"


def trivy(*found: tuple[str, str, str]) -> bytes:
    """A Trivy rootfs report of (CVE, package, installed version), all High."""
    vulns = [
        {"VulnerabilityID": c, "PkgName": p, "InstalledVersion": v, "Severity": "HIGH"} for c, p, v in found
    ]
    results = [{"Target": "/ (debian 12.5)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": vulns}]
    return json.dumps(
        {"SchemaVersion": 2, "ArtifactName": "/", "ArtifactType": "filesystem", "Results": results}
    ).encode()


def rows(database: Database) -> dict[tuple[int, str, str], tuple[str, str]]:
    with database.transaction() as session:
        found = session.scalars(select(NodeSoftware))
        return {(r.node_id, r.component, r.name): (r.version, r.seen_at.isoformat()) for r in found}


def post_reports(client: TestClient, headers: dict[str, str], *reports: object) -> None:
    answer = client.post("/api/v1/health/reports", content=body(*reports), headers=headers)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text


def test_the_driver_on_the_wire_is_stored_once_per_version(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    post_reports(client, tokens["operator"], report("a000", driver_version="550.54.15"), report("b000"))
    first = rows(fleet)
    assert [(k[1], k[2], v[0]) for k, v in first.items()] == [("gpu_driver", "nvidia", "550.54.15")]
    manual_clock.advance(30)
    post_reports(client, tokens["operator"], report("a000", driver_version="550.54.15"))
    assert rows(fleet) == first  # the same version 30 s later writes nothing
    manual_clock.advance(3600)
    post_reports(client, tokens["operator"], report("a000", driver_version="550.127.05"))
    ((version, since),) = rows(fleet).values()
    assert version == "550.127.05" and since != next(iter(first.values()))[1]  # a new version, a new since
    listed = client.get("/api/v1/security/software/a000", headers=tokens["viewer"]).json()
    assert [(r["component"], r["version"], r["source"]) for r in listed] == [
        ("gpu_driver", "550.127.05", "agent")
    ]


def test_the_kernel_comes_from_lynis(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    data = (
        (FIXTURES / "lynis-report.dat")
        .read_bytes()
        .replace(b"os_version=12\n", b"os_version=12\nlinux_kernel_release=6.1.0-18-amd64\n")
    )
    assert post_scan(client, tokens["operator"], "lynis", "lynis-report.dat", data).status_code == 201
    listed = client.get("/api/v1/security/software/a000", headers=tokens["operator"]).json()
    assert [(r["component"], r["name"], r["version"], r["source"]) for r in listed] == [
        ("kernel", "linux", "6.1.0-18-amd64", "lynis")
    ]


def _bmc_firmware(fleet: Database) -> None:
    """a000 and a001 on BMC firmware 1.10 and 2.0; every other node's BMC does not answer."""
    fake = FakeRedfish()
    for host, version in (("a000", "1.10.2"), ("a001", "2.0.1")):
        system = fake.add(f"/redfish/v1/Systems/{host}")
        system.firmware = [
            Firmware("BMC", "BMC firmware", version, related=("/redfish/v1/Managers/BMC",)),
            Firmware("HGX_FW_GPU_SXM_1", "GPU", "96.00.89.00.01"),
        ]
    bmcs = Bmcs(lambda base: fake)
    nodes = [(i, h, f"https://bmc/redfish/v1/Systems/{h}") for i, h, _ in firmware.due(fleet, 0)]
    assert firmware.collect(fleet, bmcs, nodes)[0] == 2


def test_which_nodes_a_firmware_bulletin_affects_and_which_are_unknown(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    _bmc_firmware(fleet)
    answer = client.get(
        AFFECTED, params={"component": "bmc", "range": ">=1.0,<1.10.10"}, headers=tokens["viewer"]
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert [(n["hostname"], n["why"][0]["version"]) for n in found["affected"]] == [("a000", "1.10.2")]
    assert found["unknown"] == ["a002", "b000", "b001", "b002"]
    assert (found["nodes_considered"], found["affected_count"], found["unknown_count"]) == (6, 1, 4)
    vbios = client.get(
        AFFECTED,
        params={"component": "vbios", "range": "<96.00.89.00.02", "cluster": "alpha"},
        headers=tokens["viewer"],
    ).json()
    assert [n["hostname"] for n in vbios["affected"]] == ["a000", "a001"] and vbios["unknown"] == ["a002"]


def test_which_nodes_a_package_or_cve_bulletin_affects(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    scans = {
        "a000": trivy(("CVE-2024-0727", "openssl", "3.0.11-1~deb12u2")),
        "a001": trivy(("CVE-2024-0727", "openssl", "3.0.13-1~deb12u1")),  # already the fixed version
        "b000": trivy(("CVE-2023-5678", "openssl", "3.0.9-1")),
    }
    for host, data in scans.items():
        assert (
            post_scan(client, tokens["operator"], "trivy", f"{host}.json", data, host=host).status_code == 201
        )
    by_range = client.get(
        AFFECTED, params={"package": "openssl", "range": "<3.0.13-1~deb12u1"}, headers=tokens["operator"]
    ).json()
    assert [n["hostname"] for n in by_range["affected"]] == ["a000", "b000"]
    assert by_range["unknown"] == ["a002", "b001", "b002"]  # never scanned by Trivy
    by_cve = client.get(AFFECTED, params={"cve": "CVE-2024-0727"}, headers=tokens["operator"]).json()
    assert [n["hostname"] for n in by_cve["affected"]] == ["a000", "a001"]
    both = client.get(
        AFFECTED,
        params={"cve": "CVE-2024-0727", "package": "openssl", "range": "<3.0.13"},
        headers=tokens["operator"],
    ).json()
    assert [n["hostname"] for n in both["affected"]] == ["a000"]


def test_a_bad_bulletin_is_refused_and_tenants_are_refused(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    bad = client.get(AFFECTED, params={"package": "openssl", "range": "3.0.13"}, headers=tokens["operator"])
    assert bad.status_code == 422
    assert "field range: bound 1 '3.0.13'" in bad.json()["detail"]
    empty = client.get(AFFECTED, headers=tokens["operator"])
    assert empty.status_code == 422 and "give a cve, a package or a component" in empty.json()["detail"]
    for tenant in ("initech", "acme"):
        assert client.get(AFFECTED, params={"cve": "CVE-1"}, headers=tokens[tenant]).status_code == 403
    assert client.get("/api/v1/security/software/b000", headers=tokens["initech"]).status_code == 404
    assert client.get("/api/v1/security/software/a000", headers=tokens["initech"]).status_code == 200


def test_the_worker_reads_the_fleet_round_within_its_budget(fleet: Database) -> None:
    fakes = {}
    for host in ("a000", "a001", "a002", "b000", "b001", "b002"):
        fakes[f"https://bmc-{host}"] = FakeRedfish()
        system = fakes[f"https://bmc-{host}"].add("/redfish/v1/Systems/1")
        system.firmware = [Firmware("BMC", "BMC firmware", "1.0", related=("/redfish/v1/Managers/1",))]
    bmcs = Bmcs(fakes.__getitem__)
    nodes = firmware.due(fleet, 0)
    assert firmware.collect(fleet, bmcs, nodes, budget_s=0) == (1, nodes[0][0])  # over budget: one node
    firmware.use_reader(bmcs)
    try:
        assert firmware.tick(fleet) == 6  # a turn goes on from the last node tried, to the end
        assert firmware.tick(fleet) == 6  # and the next starts the round again
    finally:
        firmware.use_reader(None)
    assert len(rows(fleet)) == 6


def test_the_agents_vbios_is_stored_per_gpu_and_matched_as_hexadecimal(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock: ManualClock
) -> None:
    """a000 runs the captured H100's 96.00.DA.00.0C, a001 an older 96.00.89.00.01 and one GPU whose NVML
    said nothing; a bulletin "< 96.00.DA.00.0D" (the default order for a VBIOS) affects both, one
    ">= 96.00.9F" only a000 (read as dotted, DA would sort before 89 and miss it)."""
    dated = {"a000": "96.00.DA.00.0C", "a001": "96.00.89.00.01"}
    sent = [
        report("a000", gpus=[gpu("a000", i, vbios_version=dated["a000"]) for i in range(2)]),
        report("a001", gpus=[gpu("a001", 0, vbios_version=dated["a001"]), gpu("a001", 1)]),
    ]
    post_reports(client, tokens["operator"], *sent)
    stored = rows(fleet)
    assert len(stored) == 3
    manual_clock.advance(30)
    post_reports(client, tokens["operator"], *(msgspec.structs.replace(r, report_id=uuid4()) for r in sent))
    assert rows(fleet) == stored  # unchanged: nothing written
    with fleet.transaction() as session:
        ids = {host: node for host, node in session.execute(select(Node.hostname, Node.id))}
    assert {(k[2], v[0]) for k, v in rows(fleet).items() if k[0] == ids["a001"]} == {
        ("gpu0", "96.00.89.00.01")
    }
    for versions, hosts in (("<96.00.DA.00.0D", ["a000", "a001"]), (">=96.00.9F", ["a000"])):
        found = client.get(
            AFFECTED,
            params={"component": "vbios", "range": versions, "cluster": "alpha"},
            headers=tokens["viewer"],
        ).json()
        assert [n["hostname"] for n in found["affected"]] == hosts and found["unknown"] == ["a002"]
    named = {"component": "vbios", "range": ">=96.00.9F", "scheme": "hex", "cluster": "alpha"}
    found = client.get(AFFECTED, params=named, headers=tokens["viewer"]).json()
    assert [n["hostname"] for n in found["affected"]] == ["a000"]  # the order named is the default's


def test_unchanged_versions_cost_no_read_until_their_confirmation_is_due(
    fleet: Database, manual_clock: ManualClock
) -> None:
    """The report stream's memo: a node whose versions did not change is not read again within the hour;
    a transaction that rolled back leaves nothing remembered, so its versions are stored next time."""
    with fleet.transaction() as session:
        node = session.scalar(select(Node.id).where(Node.hostname == "a000"))
    sent = [(node, report("a000", driver_version="550.54.15", count=1))]
    memo = software.Confirmed()
    try:
        with fleet.transaction() as session:
            memo.observe(session, sent, manual_clock.now())
            raise RuntimeError("the ingest transaction fails after the versions were written")
    except RuntimeError:
        pass
    assert rows(fleet) == {}
    with fleet.transaction() as session:
        assert memo.observe(session, sent, manual_clock.now()) == 1
    manual_clock.advance(30)
    with recorded(fleet.engine) as ran, fleet.transaction() as session:
        assert memo.observe(session, sent, manual_clock.now()) == 0
    assert not [s for s in ran if "node_software" in s]
    manual_clock.advance(3600)
    with recorded(fleet.engine) as ran, fleet.transaction() as session:
        assert memo.observe(session, sent, manual_clock.now()) == 1  # the hourly confirmation
    assert [s for s in ran if "node_software" in s]
