"""The Kubernetes manifests (deploy/kubernetes), checked offline: no API server runs here, so they are
validated against the Kubernetes OpenAPI schemas (kubernetes-validate) and against what fleetops reads."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from fleetops.adapters.kubernetes import DRAIN_TAINT
from fleetops.agent.node import AgentConfig
from fleetops.api.probes import router as probes
from tests.packaging.deployfiles import (
    DEPLOY,
    FLEETOPS_UID,
    agent_run_envvars,
    secret_files,
    unknown_settings,
    yaml_documents,
)

KUBERNETES = DEPLOY / "kubernetes"
BASES = ("control-plane", "migrate", "agent")
# The oldest Kubernetes still supported upstream when this was written, and the newest the schemas know.
VERSIONS = ("1.30.0", "1.37.0")


def _resources(base: str) -> list[dict[str, Any]]:
    folder = KUBERNETES / base
    listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    return [doc for name in listed for doc in yaml_documents(folder / name)]


def _one(base: str, kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in _resources(base) if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"{base}: {len(found)} {kind} {name or ''}"
    return found[0]


def _pod(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in container.get("env", [])}


@pytest.mark.parametrize("base", BASES)
def test_every_manifest_file_is_in_its_kustomization(base: str) -> None:
    folder = KUBERNETES / base
    listed = set(yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"])
    present = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("base", BASES)
def test_manifests_match_the_kubernetes_schemas(base: str, version: str) -> None:
    for document in _resources(base):
        kubernetes_validate.validate(document, version, strict=True)


def test_the_schema_check_refuses_a_misspelt_field() -> None:
    """The check above would be worth nothing if the validator accepted anything."""
    broken = _one("control-plane", "Deployment", "fleetops-api")
    _pod(broken)["containers"][0]["readinesProbe"] = _pod(broken)["containers"][0].pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[0], strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) absent")
@pytest.mark.parametrize("base", BASES)
def test_kustomize_renders_each_base_into_valid_manifests(base: str) -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(KUBERNETES / base)], capture_output=True, text=True, check=True
    ).stdout
    documents = [d for d in yaml.safe_load_all(rendered) if d]
    assert len(documents) == len(_resources(base))
    for document in documents:
        kubernetes_validate.validate(document, VERSIONS[0], strict=True)
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] in ("fleetops", "fleetops-agent")
        for container in _pod(document)["containers"] if "template" in document.get("spec", {}) else []:
            assert container["image"].startswith("registry.example.com/fleetops")


def test_each_control_plane_workload_runs_its_command_as_the_image_user() -> None:
    commands = {
        ("control-plane", "Deployment", "fleetops-api"): ["fleetops", "serve", "--no-worker"],
        ("control-plane", "Deployment", "fleetops-worker"): ["fleetops", "worker"],
        ("migrate", "Job", "fleetops-db-upgrade"): ["fleetops", "db", "upgrade"],
    }
    for (base, kind, name), command in commands.items():
        pod = _pod(_one(base, kind, name))
        (container,) = pod["containers"]
        assert container["command"] == command
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == FLEETOPS_UID
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_the_migration_job_never_runs_twice_at_once() -> None:
    job = _one("migrate", "Job")["spec"]
    assert job["parallelism"] == 1 and job["completions"] == 1


def test_api_probes_ask_routes_the_api_serves() -> None:
    container = _pod(_one("control-plane", "Deployment", "fleetops-api"))["containers"][0]
    served = {route.path for route in probes.routes}  # type: ignore[attr-defined]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"/readyz", "/healthz"} <= served
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["http"] == 8000


def test_the_service_reaches_the_api_pods() -> None:
    service = _one("control-plane", "Service")["spec"]
    api = _one("control-plane", "Deployment", "fleetops-api")["spec"]["template"]
    assert service["selector"].items() <= api["metadata"]["labels"].items()
    assert service["ports"][0]["targetPort"] in {p["name"] for p in api["spec"]["containers"][0]["ports"]}


def test_config_file_and_secrets_are_mounted_where_the_configuration_names_them() -> None:
    toml = _one("control-plane", "ConfigMap", "fleetops-config")["data"]["fleetops.toml"]
    assert unknown_settings(toml) == []
    assert secret_files(toml), "the database URL comes from a Secret file"
    for base, kind, name in (
        ("control-plane", "Deployment", "fleetops-api"),
        ("control-plane", "Deployment", "fleetops-worker"),
        ("migrate", "Job", "fleetops-db-upgrade"),
    ):
        pod = _pod(_one(base, kind, name))
        container = pod["containers"][0]
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        config_path = Path(_env(container)["FLEETOPS_CONFIG"])
        assert volumes["config"]["configMap"]["name"] == "fleetops-config"
        assert str(config_path.parent) == mounts["config"] and config_path.name == "fleetops.toml"
        assert volumes["secrets"]["secret"]["secretName"] == "fleetops-secrets"
        for path in secret_files(toml):
            assert str(Path(path).parent) == mounts["secrets"], f"{name}: {path} is not in the Secret's mount"


def test_the_agent_daemonset_reads_the_gpus_and_kernel_log_of_every_gpu_node() -> None:
    daemonset = _one("agent", "DaemonSet")
    pod = _pod(daemonset)
    (container,) = pod["containers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert volumes[mounts["/dev/kmsg"]]["hostPath"] == {"path": "/dev/kmsg", "type": "CharDevice"}
    assert container["securityContext"]["privileged"] is True
    assert _env(container)["NVIDIA_VISIBLE_DEVICES"] == "all"
    # Requesting GPUs would take them from the workloads the agent watches.
    assert "nvidia.com/gpu" not in str(container["resources"])
    # Its reports must carry the node's hostname, which the node's token is bound to.
    assert pod["hostNetwork"] is True
    tolerated = {t["key"] for t in pod["tolerations"]}
    assert {"nvidia.com/gpu", DRAIN_TAINT} <= tolerated


def test_the_agent_daemonset_sets_only_options_the_agent_reads() -> None:
    container = _pod(_one("agent", "DaemonSet"))["containers"][0]
    agent_vars = {name for name in _env(container) if name.startswith("FLEETOPS_")}
    assert agent_vars <= agent_run_envvars()
    spool = Path(_env(container)["FLEETOPS_AGENT_SPOOL_DIR"])
    state = {m["mountPath"] for m in container["volumeMounts"]}
    assert str(spool.parent) in state, "the spool must be on the node, to survive a pod restart"
    assert spool == AgentConfig().spool_dir
    assert "fleetops-agent run" in container["command"][-1]


def test_the_agent_readiness_probe_asks_the_metrics_port_it_serves() -> None:
    container = _pod(_one("agent", "DaemonSet"))["containers"][0]
    probe = container["readinessProbe"]["httpGet"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert probe["path"] == "/metrics"
    assert ports[probe["port"]] == int(_env(container)["FLEETOPS_AGENT_METRICS_PORT"])
