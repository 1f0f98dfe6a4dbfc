"""Static configuration per cluster: the files each enabled add-on needs, checked offline against the
Kubernetes 1.30 OpenAPI schemas (kubernetes-validate, strict) and the RebootNode CRD's own schema. No
API server runs here: nothing is applied, and the checker's limits (first error only, no enums) hold."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import yaml

from fleetops.addons.render import Target, render
from fleetops.addons.states import State
from fleetops.addons.validate import check_files
from fleetops.remediation.models import RemediationRun

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
TARGET = Target("alpha", "kubernetes", "initech")
REMEDIATION = {
    "dry_run": False,
    "allowed_actions": None,
    "approval_required": [],
    "maintenance_windows": [],
    "notify": {},
    "custom_resources": False,
}


def states(**over: dict) -> dict[str, State]:
    made = {
        "remediation": State("remediation", "1.0.0", True, dict(REMEDIATION), True),
        "advanced-metrics": State(
            "advanced-metrics",
            "1.1.0",
            True,
            {
                "scrape_interval_s": 15,
                "exporters": ["node-exporter", "dcgm-exporter"],
                "drop_series": ["node_arp_entries"],
            },
            True,
        ),
        "nvsentinel": State(
            "nvsentinel", "1.0.0", True, {"dryRun": False, "modules": {"janitor": True}}, True
        ),
    }
    for name, settings in over.items():
        made[name.replace("_", "-")].settings |= settings
    return made


def run(run_id: int, state: str, plan: list[str]) -> RemediationRun:
    return RemediationRun(
        id=run_id,
        hostname=f"a{run_id:03d}",
        state=state,
        plan=plan,
        reason="XID 79: GPU fell off the bus",
        detected_at=T0,
        acted_at=T0 + timedelta(minutes=2),
        verified_at=T0 + timedelta(minutes=9) if state == "resolved" else None,
        finished_at=T0 + timedelta(minutes=10) if state != "acting" else None,
    )


def test_every_enabled_addon_renders_files_that_pass_the_kubernetes_schemas():
    files = render(TARGET, states())
    assert check_files(files) == []
    assert {p.split("/")[1] for p in files if p.count("/") > 1} == {
        "remediation",
        "advanced-metrics",
        "nvsentinel",
    }
    docs = list(yaml.safe_load_all(files["alpha/advanced-metrics/1.1.0/advanced-metrics.yaml"]))
    kinds = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert kinds == [
        ("ConfigMap", "fleetops-scrape"),
        ("DaemonSet", "node-exporter"),
        ("DaemonSet", "dcgm-exporter"),
    ]
    scrape = yaml.safe_load(docs[0]["data"]["scrape.yaml"])
    assert scrape["scrape_configs"][0]["scrape_interval"] == "15s"
    assert scrape["scrape_configs"][0]["metric_relabel_configs"][0]["regex"] == "node_arp_entries"
    assert not any("CustomResourceDefinition" in text for text in files.values())  # no CRD unless allowed


def test_nvsentinel_values_carry_dry_run_and_every_module_switch():
    values = yaml.safe_load(render(TARGET, states())["alpha/nvsentinel/1.0.0/values.yaml"])
    assert values["global"]["dryRun"] is False
    switches = {k: v["enabled"] for k, v in values["global"].items() if k != "dryRun"}
    assert switches == {
        "gpuHealthMonitor": True,
        "syslogHealthMonitor": True,
        "faultQuarantine": False,
        "nodeDrainer": False,
        "faultRemediation": False,
        "janitor": True,
        "mongodbStore": False,
    }


def test_a_customer_who_allows_crds_gets_the_crd_and_a_rebootnode_per_reboot():
    runs = [
        run(1, "resolved", ["drain", "reboot_node", "verify"]),
        run(2, "acting", ["reset_gpu"]),
        run(3, "escalated", ["reboot_node"]),
    ]
    files = render(TARGET, states(remediation={"custom_resources": True}), runs)
    assert check_files(files) == []
    records = list(yaml.safe_load_all(files["alpha/remediation/1.0.0/rebootnodes.yaml"]))
    assert [(r["spec"]["nodeName"], r["status"]["conditions"][0]["status"]) for r in records] == [
        ("a001", "True"),
        ("a003", "False"),
    ]
    assert records[0]["status"]["startTime"] == "2026-03-01T12:02:00Z"
    crd = yaml.safe_load(files["alpha/remediation/1.0.0/rebootnode-crd.yaml"])
    assert crd["spec"]["names"]["kind"] == "RebootNode" and crd["spec"]["scope"] == "Cluster"


def test_the_checker_catches_a_broken_manifest_and_a_broken_record():
    files = render(
        TARGET, states(remediation={"custom_resources": True}), [run(1, "resolved", ["reboot_node"])]
    )
    path = "alpha/advanced-metrics/1.1.0/advanced-metrics.yaml"
    docs = list(yaml.safe_load_all(files[path]))
    docs[1]["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = 7
    records_path = "alpha/remediation/1.0.0/rebootnodes.yaml"
    record = yaml.safe_load(files[records_path])
    del record["spec"]["nodeName"]
    broken = files | {path: yaml.safe_dump_all(docs), records_path: yaml.safe_dump(record)}
    problems = check_files(broken)
    assert any(p.startswith(f"{path}#1") and "imagePullPolicy" in p for p in problems), problems
    assert any(p.startswith(f"{records_path}#0/spec") and "nodeName" in p for p in problems), problems


def test_the_same_state_renders_the_same_bytes_and_the_index_hashes_each_file():
    first, again = render(TARGET, states()), render(TARGET, copy.deepcopy(states()))
    assert first == again
    index = json.loads(first["alpha/manifest.json"])
    assert index["addons"] == {"advanced-metrics": "1.1.0", "nvsentinel": "1.0.0", "remediation": "1.0.0"}
    assert set(index["files"]) == set(first) - {"alpha/manifest.json"}
    changed = render(TARGET, states(advanced_metrics={"scrape_interval_s": 60}))
    index2 = json.loads(changed["alpha/manifest.json"])
    moved = {p for p in index["files"] if index["files"][p] != index2["files"][p]}
    assert moved == {"alpha/advanced-metrics/1.1.0/advanced-metrics.yaml"}


def test_a_disabled_addon_renders_nothing():
    off = states()
    for state in off.values():
        state.enabled = False
    assert list(render(TARGET, off)) == ["alpha/manifest.json"]


def test_the_api_renders_a_customers_own_cluster_only(client, tokens):
    client.put(
        "/api/v1/addons/clusters/alpha/advanced-metrics", headers=tokens["initech"], json={"enabled": True}
    )
    files = client.get("/api/v1/addons/clusters/alpha/manifests", headers=tokens["initech"])
    assert files.status_code == 200 and "alpha/advanced-metrics/1.1.0/advanced-metrics.yaml" in files.json()
    assert check_files(files.json()) == []
    assert client.get("/api/v1/addons/clusters/beta/manifests", headers=tokens["initech"]).status_code == 404
