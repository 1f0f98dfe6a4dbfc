"""Static configuration per cluster: the manifests or Helm values each enabled add-on needs, as files.

Nothing in them needs a CRD or a fleetops component in the customer's cluster; the RebootNode CRD and
its records appear only where the customer turned `custom_resources` on. Files are named by add-on and
version, and `manifest.json` lists each file's SHA-256, so the same state renders the same bytes and a
change shows as a changed hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from fleetops.addons.catalog import addon
from fleetops.addons.records import crd, reboot_node, reboots
from fleetops.addons.states import State
from fleetops.remediation.models import RemediationRun

NAMESPACE = "fleetops-addons"
NODE_EXPORTER = "quay.io/prometheus/node-exporter:v1.8.2"
DCGM_EXPORTER = "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.9-3.6.1-ubuntu22.04"
EXPORTER_PORTS = {"node-exporter": 9100, "dcgm-exporter": 9400}
Docs = list[dict[str, Any]]


@dataclass(frozen=True)
class Target:
    cluster: str
    orchestrator: str
    customer: str | None


def _labels(state: State) -> dict[str, str]:
    return {
        "app.kubernetes.io/managed-by": "fleetops",
        "fleetops.io/addon": state.addon,
        "fleetops.io/addon-version": state.version,
    }


def _meta(name: str, state: State, namespace: str | None = NAMESPACE) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": _labels(state)}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _configmap(name: str, state: State, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(name, state), "data": data}


NAMESPACE_DOC = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": NAMESPACE, "labels": {"app.kubernetes.io/managed-by": "fleetops"}},
}


def _settings_json(state: State) -> str:
    return json.dumps(state.settings, sort_keys=True, indent=2)


def remediation(target: Target, state: State, runs: Iterable[RemediationRun]) -> dict[str, Docs]:
    """A read-only copy of the settings fleetops acts by; the CRD and the reboot records if allowed."""
    files = {
        "remediation.yaml": [
            _configmap("fleetops-remediation", state, {"settings.json": _settings_json(state)}),
        ]
    }
    if state.settings.get("custom_resources"):
        files["rebootnode-crd.yaml"] = [crd()]
        records = [reboot_node(run) for run in runs if reboots(run)]
        if records:
            files["rebootnodes.yaml"] = records
    return files


def _daemonset(name: str, state: State, image: str, port: int, args: list[str]) -> dict[str, Any]:
    selector = {"app.kubernetes.io/name": name}
    container = {
        "name": name,
        "image": image,
        "args": args,
        "ports": [{"name": "metrics", "containerPort": port}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
    }
    if name == "node-exporter":
        container["volumeMounts"] = [{"name": "root", "mountPath": "/host", "readOnly": True}]
    pod: dict[str, Any] = {
        "hostNetwork": name == "node-exporter",
        "hostPID": name == "node-exporter",
        "tolerations": [{"operator": "Exists"}],
        "containers": [container],
    }
    if name == "node-exporter":
        pod["volumes"] = [{"name": "root", "hostPath": {"path": "/"}}]
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(name, state),
        "spec": {
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": selector | _labels(state)}, "spec": pod},
        },
    }


def scrape_config(target: Target, state: State) -> dict[str, Any]:
    """The scrape jobs of the cluster's own Prometheus agent; series named in drop_series never leave."""
    drop = state.settings.get("drop_series") or []
    jobs = []
    for exporter in state.settings.get("exporters", []):
        job: dict[str, Any] = {
            "job_name": exporter,
            "scrape_interval": f"{state.settings.get('scrape_interval_s', 30)}s",
            "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [NAMESPACE]}}],
            "relabel_configs": [
                {
                    "source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
                    "regex": exporter,
                    "action": "keep",
                }
            ],
        }
        if drop:
            job["metric_relabel_configs"] = [
                {"source_labels": ["__name__"], "regex": "|".join(drop), "action": "drop"}
            ]
        jobs.append(job)
    return {"global": {"external_labels": {"cluster": target.cluster}}, "scrape_configs": jobs}


def advanced_metrics(target: Target, state: State, runs: Iterable[RemediationRun]) -> dict[str, Docs]:
    exporters = state.settings.get("exporters", [])
    scrape = _dump([scrape_config(target, state)])
    docs: Docs = [_configmap("fleetops-scrape", state, {"scrape.yaml": scrape})]
    if "node-exporter" in exporters:
        docs.append(_daemonset("node-exporter", state, NODE_EXPORTER, 9100, ["--path.rootfs=/host"]))
    if "dcgm-exporter" in exporters:
        docs.append(_daemonset("dcgm-exporter", state, DCGM_EXPORTER, 9400, []))
    return {"advanced-metrics.yaml": docs}


def nvsentinel_values(state: State) -> dict[str, Any]:
    """NVSentinel's chart values: `global.dryRun` and each module's `global.<module>.enabled`."""
    schema = addon(state.addon).version(state.version).schema["properties"]["modules"]["properties"]
    switches = {name: prop.get("default", False) for name, prop in schema.items()}
    switches |= state.settings.get("modules", {})
    modules = {name: {"enabled": on} for name, on in switches.items()}
    return {"global": {"dryRun": state.settings.get("dryRun", True), **modules}}


def nvsentinel(target: Target, state: State, runs: Iterable[RemediationRun]) -> dict[str, Docs]:
    return {"values.yaml": [nvsentinel_values(state)]}


RENDERERS: dict[str, Callable[[Target, State, Iterable[RemediationRun]], dict[str, Docs]]] = {
    "remediation": remediation,
    "advanced-metrics": advanced_metrics,
    "nvsentinel": nvsentinel,
}


def _dump(docs: Docs) -> str:
    return yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False)


def render(target: Target, states: dict[str, State], runs: Iterable[RemediationRun] = ()) -> dict[str, str]:
    """`{path: text}` for one cluster: `<cluster>/<addon>/<version>/<file>` and `<cluster>/manifest.json`."""
    files: dict[str, str] = {}
    for name, state in sorted(states.items()):
        if not state.enabled:
            continue
        for file, docs in RENDERERS[name](target, state, runs).items():
            files[f"{target.cluster}/{name}/{state.version}/{file}"] = _dump(docs)
    if any(not path.endswith("/values.yaml") for path in files):
        files[f"{target.cluster}/namespace.yaml"] = _dump([NAMESPACE_DOC])
    index = {
        "cluster": target.cluster,
        "addons": {n: s.version for n, s in sorted(states.items()) if s.enabled},
        "files": {path: hashlib.sha256(text.encode()).hexdigest() for path, text in files.items()},
    }
    files[f"{target.cluster}/manifest.json"] = json.dumps(index, indent=2, sort_keys=True) + "\n"
    return files
