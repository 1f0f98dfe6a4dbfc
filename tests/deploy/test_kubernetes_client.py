"""The Kubernetes adapter against a stub API server that speaks the documented core/v1 node shapes.

No Kubernetes API server can be installed on these machines (TESTBED.md), so a small HTTP server answers
GET/PATCH /api/v1/nodes/NAME, the pod list and the eviction subresource as the API reference documents.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from kubernetes import client as k8s

from fleetops.adapters.kubernetes import DRAIN_REASON, DRAIN_TAINT
from fleetops.adapters.kubernetes.client import KubernetesClient
from fleetops.errors import ExternalError


def node(name: str, ready: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "annotations": {}},
        "spec": {"taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "PreferNoSchedule"}]},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {"type": "Ready", "status": "True" if ready else "False"},
            ]
        },
    }


def merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """RFC 7386 JSON merge patch (lists replaced, null deletes)."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value


class ApiServer(BaseHTTPRequestHandler):
    nodes: dict[str, dict[str, Any]] = {}
    pods: list[dict[str, Any]] = []
    log: list[tuple[str, str, Any]] = []

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def _missing(self, name: str) -> None:
        self._send(
            404,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "reason": "NotFound",
                "message": f'nodes "{name}" not found',
                "code": 404,
            },
        )

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.log.append(("GET", self.path, None))
        if self.path.startswith("/api/v1/pods"):
            self._send(200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": self.pods})
            return
        name = self.path.rsplit("/", 1)[-1]
        self._send(200, self.nodes[name]) if name in self.nodes else self._missing(name)

    def do_PATCH(self) -> None:  # noqa: N802
        name, body = self.path.rsplit("/", 1)[-1], self._body()
        self.log.append(("PATCH", self.path, (self.headers["Content-Type"], body)))
        if name not in self.nodes:
            self._missing(name)
            return
        merge(self.nodes[name], body)
        self._send(200, self.nodes[name])

    def do_POST(self) -> None:  # noqa: N802
        self.log.append(("POST", self.path, self._body()))
        self._send(201, {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 201})

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def kube() -> Iterator[KubernetesClient]:
    ApiServer.nodes = {"gpu-1": node("gpu-1"), "gpu-2": node("gpu-2", ready=False)}
    ApiServer.log = []
    ApiServer.pods = [
        {
            "metadata": {"name": "train-0", "namespace": "team-a"},
            "spec": {"nodeName": "gpu-1", "containers": [{"name": "main", "image": "img"}]},
        },
        {
            "metadata": {
                "name": "dcgm-exporter-x",
                "namespace": "gpu-operator",
                "ownerReferences": [
                    {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "dcgm", "uid": "1"}
                ],
            },
            "spec": {"nodeName": "gpu-1", "containers": [{"name": "main", "image": "img"}]},
        },
    ]
    server = ThreadingHTTPServer(("127.0.0.1", 0), ApiServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    configuration = k8s.Configuration(host=f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield KubernetesClient(k8s.ApiClient(configuration))
    finally:
        server.shutdown()
        server.server_close()


def test_ready_condition_decides(kube):
    assert kube.status("gpu-1").accepts_work and kube.status("gpu-1").state == "Ready"
    assert not kube.status("gpu-2").accepts_work and kube.status("gpu-2").state == "NotReady"


def test_drain_cordons_taints_annotates_and_evicts_all_but_daemonsets(kube):
    kube.drain("gpu-1", "XID 79 on GPU 3")
    stored = ApiServer.nodes["gpu-1"]
    assert stored["spec"]["unschedulable"] is True
    assert {"key": DRAIN_TAINT, "value": "true", "effect": "NoSchedule"} in stored["spec"]["taints"]
    assert {"key": "nvidia.com/gpu", "value": "present", "effect": "PreferNoSchedule"} in stored["spec"][
        "taints"
    ]
    assert stored["metadata"]["annotations"][DRAIN_REASON] == "XID 79 on GPU 3"
    evictions = [(p, b) for m, p, b in ApiServer.log if m == "POST"]
    assert [p for p, _ in evictions] == ["/api/v1/namespaces/team-a/pods/train-0/eviction"]
    assert evictions[0][1]["kind"] == "Eviction" and evictions[0][1]["metadata"]["name"] == "train-0"
    listed = [p for m, p, _ in ApiServer.log if m == "GET" and p.startswith("/api/v1/pods")]
    assert "fieldSelector=spec.nodeName%3Dgpu-1" in listed[0]
    status = kube.status("gpu-1")
    assert status.drained and not status.accepts_work and status.reason == "XID 79 on GPU 3"


def test_resume_undoes_the_drain(kube):
    kube.drain("gpu-1", "maintenance")
    kube.resume("gpu-1")
    stored = ApiServer.nodes["gpu-1"]
    assert stored["spec"]["unschedulable"] is False
    assert [t["key"] for t in stored["spec"]["taints"]] == ["nvidia.com/gpu"]
    assert DRAIN_REASON not in stored["metadata"]["annotations"]
    assert kube.status("gpu-1").accepts_work


def test_unknown_node_carries_the_api_message(kube):
    with pytest.raises(ExternalError) as error:
        kube.status("gpu-9")
    assert not error.value.retryable and 'HTTP 404: nodes "gpu-9" not found' in error.value.message
