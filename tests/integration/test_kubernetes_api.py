"""fleetops' real KubernetesClient, loaded from a kubeconfig, against the local core/v1 stand-in.

No Kubernetes API server can run on these machines (TESTBED.md). The stand-in (`kube_api.py`) answers
with the shapes the API reference documents and refuses bodies that do not have them, so these tests
check the HTTP the adapter really sends: paths, patch content types, field selectors, Eviction bodies,
the bearer token, and how it reads what comes back.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fleetops.adapters.kubernetes import DRAIN_REASON, DRAIN_TAINT
from fleetops.adapters.kubernetes.client import KubernetesClient
from fleetops.errors import ExternalError
from tests.integration.kube_api import KubeApi, local_kube_api

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "PreferNoSchedule"}
DRAINED = {"key": DRAIN_TAINT, "value": "true", "effect": "NoSchedule"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[KubeApi]:
    with local_kube_api(tmp_path, ["gpu-1", "gpu-2"]) as api:
        api.add_node("gpu-3", taints=[GPU_TAINT])
        api.add_pod("gpu-3", "train-0", "team-a")
        api.add_pod("gpu-3", "train-1", "team-b")
        api.add_pod("gpu-3", "dcgm-exporter-x", "gpu-operator", daemonset=True)
        api.add_pod("gpu-2", "infer-0", "team-a")
        yield api


@pytest.fixture
def kube(api: KubeApi) -> KubernetesClient:
    return KubernetesClient.from_kubeconfig(api.kubeconfig, api.context)


def raw(api: KubeApi, method: str, path: str, body: Any, content_type: str, token: str | None = None):
    """A request the adapter would never send, to prove the stand-in refuses it."""
    request = urllib.request.Request(
        api.url + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {token or api.token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_ready_node_accepts_work_and_not_ready_does_not(api, kube):
    status = kube.status("gpu-1")
    assert (status.state, status.accepts_work, status.drained, status.reason) == ("Ready", True, False, None)
    api.set_ready("gpu-2", False)
    assert not kube.status("gpu-2").accepts_work and kube.status("gpu-2").state == "NotReady"
    assert kube.status("gpu-3").accepts_work  # PreferNoSchedule does not keep work off
    assert {(r.method, r.path) for r in api.requests} == {
        ("GET", f"/api/v1/nodes/{n}") for n in ("gpu-1", "gpu-2", "gpu-3")
    }
    assert {r.headers["authorization"] for r in api.requests} == {f"Bearer {api.token}"}


def test_kubeconfig_current_context_is_enough(api):
    assert KubernetesClient.from_kubeconfig(api.kubeconfig).status("gpu-1").accepts_work


def test_drain_cordons_taints_and_evicts_all_but_daemonset_pods(api, kube):
    kube.drain("gpu-3", "XID 79 on GPU 3")
    stored = api.nodes["gpu-3"]
    assert stored["spec"]["unschedulable"] is True
    assert stored["spec"]["taints"] == [GPU_TAINT, DRAINED]
    assert stored["metadata"]["annotations"][DRAIN_REASON] == "XID 79 on GPU 3"
    [patch] = api.requests_to("PATCH", "/api/v1/nodes/gpu-3")
    assert patch.content_type == "application/strategic-merge-patch+json" and patch.status == 200
    [listing] = api.requests_to("GET", "/api/v1/pods")
    assert listing.query["fieldSelector"] == ["spec.nodeName=gpu-3"]
    evictions = api.requests_to("POST", "/api/v1/namespaces/")
    assert [(r.path, r.status) for r in evictions] == [
        ("/api/v1/namespaces/team-a/pods/train-0/eviction", 201),
        ("/api/v1/namespaces/team-b/pods/train-1/eviction", 201),
    ]
    assert evictions[0].body == {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": "train-0", "namespace": "team-a"},
    }
    assert api.pod_names("gpu-3") == ["gpu-operator/dcgm-exporter-x"]
    assert api.pod_names("gpu-2") == ["team-a/infer-0"]  # another node's pods are not touched
    status = kube.status("gpu-3")
    assert status.drained and not status.accepts_work and status.reason == "XID 79 on GPU 3"
    assert status.state == "Ready,SchedulingDisabled"


def test_drain_twice_keeps_one_drain_taint(api, kube):
    kube.drain("gpu-1", "first")
    kube.drain("gpu-1", "second")
    assert api.nodes["gpu-1"]["spec"]["taints"] == [DRAINED]
    assert kube.status("gpu-1").reason == "second"


def test_resume_uncordons_and_removes_only_the_drain_taint(api, kube):
    kube.drain("gpu-3", "maintenance")
    kube.resume("gpu-3")
    stored = api.nodes["gpu-3"]
    assert "unschedulable" not in stored["spec"]  # false is omitted, as the API server serialises it
    assert stored["spec"]["taints"] == [GPU_TAINT]
    assert DRAIN_REASON not in (stored["metadata"].get("annotations") or {})
    status = kube.status("gpu-3")
    assert status.accepts_work and not status.drained and status.reason is None
    kube.drain("gpu-1", "maintenance")
    kube.resume("gpu-1")  # the drain taint was its only one: the list goes away
    assert "taints" not in api.nodes["gpu-1"]["spec"] and kube.status("gpu-1").accepts_work


def test_taint_and_cordon(api, kube):
    kube.taint("gpu-3", "fleetops.io/rma", "pending", "NoExecute")
    kube.taint("gpu-3", "fleetops.io/rma", "open", "NoExecute")
    assert api.nodes["gpu-3"]["spec"]["taints"] == [
        GPU_TAINT,
        {"key": "fleetops.io/rma", "value": "open", "effect": "NoExecute"},
    ]
    kube.cordon("gpu-1")
    assert kube.status("gpu-1").drained
    kube.cordon("gpu-1", unschedulable=False)
    assert kube.status("gpu-1").accepts_work


@pytest.mark.parametrize("action", ["status", "drain", "resume"])
def test_unknown_node_names_the_node_and_changes_nothing(api, kube, action):
    before = json.dumps(api.nodes, sort_keys=True)
    call = getattr(kube, action)
    with pytest.raises(ExternalError) as error:
        call("gpu-9", "maintenance") if action == "drain" else call("gpu-9")
    assert "gpu-9" in error.value.message
    assert 'HTTP 404: nodes "gpu-9" not found' in error.value.message and not error.value.retryable
    assert json.dumps(api.nodes, sort_keys=True) == before
    assert [r.method for r in api.requests] == ["GET"]


def test_disruption_budget_refusal_is_retryable_and_keeps_the_pod(api, kube):
    api.add_pod("gpu-1", "serve-0", "team-a", disruption_budget=True)
    with pytest.raises(ExternalError) as error:
        kube.drain("gpu-1", "XID 48")
    assert error.value.retryable and "HTTP 429" in error.value.message
    assert "disruption budget" in error.value.message and "gpu-1" in error.value.message
    assert api.pod_names("gpu-1") == ["team-a/serve-0"]
    assert kube.status("gpu-1").drained  # cordoned before evicting: nothing new lands meanwhile


def test_pod_gone_before_its_eviction_does_not_fail_the_drain(api, kube):
    api.add_pod("gpu-1", "short-0", "team-a", terminates_before_eviction=True)
    api.add_pod("gpu-1", "train-9", "team-a")
    kube.drain("gpu-1", "XID 79")
    assert [r.status for r in api.requests_to("POST", "/api/v1/namespaces/")] == [404, 201]
    assert api.pod_names("gpu-1") == [] and kube.status("gpu-1").drained


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "code", "message"),
    [
        (
            "PATCH",
            "/api/v1/nodes/gpu-1",
            {"spec": {"unschedulable": True}},
            "application/json-patch+json",
            400,
            "cannot unmarshal object",
        ),
        (
            "PATCH",
            "/api/v1/nodes/gpu-1",
            {"spec": {"unschedulable": True}},
            "application/json",
            415,
            "format",
        ),
        (
            "PATCH",
            "/api/v1/nodes/gpu-1",
            {"spec": {"unschedulabel": True}},
            "application/merge-patch+json",
            400,
            "unknown field",
        ),
        (
            "PATCH",
            "/api/v1/nodes/gpu-1",
            {"spec": {"unschedulable": "yes"}},
            "application/merge-patch+json",
            422,
            "boolean",
        ),
        (
            "PATCH",
            "/api/v1/nodes/gpu-1",
            {"spec": {"taints": [{"key": DRAIN_TAINT, "effect": "Drained"}]}},
            "application/strategic-merge-patch+json",
            422,
            "Unsupported value",
        ),
        (
            "PATCH",
            "/api/v1/nodes/gpu-1",
            {"spec": {"taints": [DRAINED, DRAINED]}},
            "application/strategic-merge-patch+json",
            422,
            "Duplicate value",
        ),
        (
            "POST",
            "/api/v1/namespaces/team-a/pods/infer-0/eviction",
            {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "train-0"}},
            "application/json",
            400,
            "does not match",
        ),
        (
            "POST",
            "/api/v1/namespaces/team-a/pods/infer-0/eviction",
            {"apiVersion": "v1", "kind": "DeleteOptions"},
            "application/json",
            400,
            "policy/v1 Eviction",
        ),
        (
            "GET",
            "/api/v1/pods?fieldSelector=spec.nodename%3Dgpu-1",
            None,
            "application/json",
            400,
            "not a known field selector",
        ),
    ],
)
def test_stand_in_refuses_undocumented_shapes(api, method, path, body, content_type, code, message):
    before = json.dumps([api.nodes, api.pods], sort_keys=True)
    status, answer = raw(api, method, path, body, content_type)
    assert (status, answer["kind"], answer["code"]) == (code, "Status", code)
    assert message in answer["message"]
    assert json.dumps([api.nodes, api.pods], sort_keys=True) == before


def test_stand_in_applies_json_patch_and_wants_the_token(api):
    ops = [{"op": "add", "path": "/spec/taints", "value": [DRAINED]}]
    status, node = raw(api, "PATCH", "/api/v1/nodes/gpu-1", ops, "application/json-patch+json")
    assert status == 200 and node["spec"]["taints"] == [DRAINED]
    status, answer = raw(api, "GET", "/api/v1/nodes/gpu-1", None, "application/json", token="wrong")
    assert (status, answer["reason"]) == (401, "Unauthorized")
