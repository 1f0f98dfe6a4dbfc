"""A local stand-in for the Kubernetes core/v1 REST API, for testing fleetops' Kubernetes adapter.

No Kubernetes API server can be installed on these machines (TESTBED.md), so the adapter's real HTTP
traffic (the official client, loaded from a kubeconfig) is answered here with the shapes the API
reference documents. The stand-in is deliberately stricter than a default API server: a body that does
not have the documented shape (unknown fields, wrong types, a JSON Patch that is not a list of
operations, an Eviction whose kind, apiVersion or name is wrong) is refused with a 400/422 Status, so a
test fails when the adapter sends the wrong thing instead of having its mistake silently dropped.

What it keeps, in memory: Node objects (Ready condition, `spec.unschedulable`, `spec.taints`,
annotations) and the pods bound to each node. Stored objects are serialised as the API server does: a
false `spec.unschedulable`, an empty taint list or an empty annotation map are omitted (Go `omitempty`).

Endpoints: GET /api/v1/nodes, GET and PATCH /api/v1/nodes/{name} (strategic merge, JSON merge and JSON
patch), GET /api/v1/pods and /api/v1/namespaces/{ns}/pods (fieldSelector, labelSelector, limit and
continue), GET /api/v1/namespaces/{ns}/pods/{name}, POST /api/v1/namespaces/{ns}/pods/{name}/eviction.
Every request must carry the kubeconfig's bearer token.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["ApiRequest", "KubeApi", "local_kube_api"]

CONTEXT = "fleetops-local"
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# Pod field selectors the API server accepts (pkg/registry/core/pod: PodToSelectableFields).
POD_SELECTABLE_FIELDS = frozenset(
    {
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    }
)
PATCH_TYPES = (
    "application/strategic-merge-patch+json",
    "application/merge-patch+json",
    "application/json-patch+json",
)
# Node lists that strategic merge patches merge by key instead of replacing (patchMergeKey in
# k8s.io/api/core/v1); every other list, spec.taints included (+listType=atomic), is replaced whole.
MERGE_KEYS = {
    ("status", "conditions"): "type",
    ("status", "addresses"): "type",
    ("metadata", "ownerReferences"): "uid",
}
# Every path shape served (ids as "*"), to tell a wrong method (405) from a wrong path (404).
ROUTES = frozenset(
    {
        ("nodes",),
        ("nodes", "*"),
        ("pods",),
        ("namespaces", "*", "pods"),
        ("namespaces", "*", "pods", "*"),
        ("namespaces", "*", "pods", "*", "eviction"),
    }
)
QUALIFIED_NAME = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")

NODE_FIELDS = {
    "": {"apiVersion", "kind", "metadata", "spec", "status"},
    "metadata": {
        "name",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "generation",
        "managedFields",
    },
    "spec": {"podCIDR", "podCIDRs", "providerID", "unschedulable", "taints", "configSource", "externalID"},
    "status": {
        "capacity",
        "allocatable",
        "phase",
        "conditions",
        "addresses",
        "daemonEndpoints",
        "nodeInfo",
        "images",
        "volumesInUse",
        "volumesAttached",
        "config",
        "runtimeHandlers",
        "features",
        "declaredFeatures",
    },
}
TAINT_FIELDS = {"key", "value", "effect", "timeAdded"}
EVICTION_FIELDS = {"apiVersion", "kind", "metadata", "deleteOptions"}
DELETE_OPTIONS_FIELDS = {
    "apiVersion",
    "kind",
    "gracePeriodSeconds",
    "preconditions",
    "orphanDependents",
    "propagationPolicy",
    "dryRun",
    "ignoreStoreReadErrorWithClusterBreakingPotential",
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """A failure answered as a core/v1 Status object, the body every API server error carries."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def _bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def _not_found(kind: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{kind} "{name}" not found', {"name": name, "kind": kind})


def _invalid(kind: str, name: str, causes: list[tuple[str, str]]) -> ApiError:
    """422 Invalid, as field validation reports it: one cause per bad field."""
    text = ", ".join(f"{path}: {message}" for path, message in causes)
    details = {
        "name": name,
        "kind": kind,
        "causes": [{"reason": "FieldValueInvalid", "message": m, "field": p} for p, m in causes],
    }
    return ApiError(422, "Invalid", f'{kind.capitalize()} "{name}" is invalid: {text}', details)


@dataclass
class ApiRequest:
    """One request as it arrived, so a test can assert on exactly what the adapter sent."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int = 0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


@dataclass
class KubeApi:
    """The running stand-in: its state, the requests it answered, and the kubeconfig that reaches it."""

    url: str
    token: str
    kubeconfig: str  # a str, as fleetops settings and `KubernetesClient.from_kubeconfig` take it
    context: str = CONTEXT
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    pods: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[ApiRequest] = field(default_factory=list)
    evicted: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _version: int = field(default=1, repr=False)
    _protected: set[tuple[str, str]] = field(default_factory=set, repr=False)
    _vanishing: set[tuple[str, str]] = field(default_factory=set, repr=False)

    def _next_version(self) -> str:
        self._version += 1
        return str(self._version)

    def add_node(self, name: str, ready: bool = True, taints: list[dict[str, Any]] | None = None) -> dict:
        """A node as the kubelet registers it: Ready condition, schedulable, GPU capacity."""
        now = _now()
        condition = {
            "type": "Ready",
            "status": "True" if ready else "False",
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
            "reason": "KubeletReady" if ready else "KubeletNotReady",
            "message": "kubelet is posting ready status" if ready else "container runtime is down",
        }
        pressure = {
            "type": "MemoryPressure",
            "status": "False",
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
            "reason": "KubeletHasSufficientMemory",
            "message": "kubelet has sufficient memory available",
        }
        node: dict[str, Any] = {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "uid": str(uuid.uuid4()),
                "resourceVersion": "",
                "creationTimestamp": now,
                "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
            },
            "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]},
            "status": {
                "capacity": {"cpu": "128", "memory": "2113412Mi", "nvidia.com/gpu": "8", "pods": "110"},
                "allocatable": {"cpu": "126", "memory": "2013412Mi", "nvidia.com/gpu": "8", "pods": "110"},
                "conditions": [pressure, condition],
                "addresses": [
                    {"type": "InternalIP", "address": "10.0.0.1"},
                    {"type": "Hostname", "address": name},
                ],
                "nodeInfo": {
                    "machineID": uuid.uuid4().hex,
                    "systemUUID": str(uuid.uuid4()),
                    "bootID": str(uuid.uuid4()),
                    "kernelVersion": "6.1.0",
                    "osImage": "Debian GNU/Linux 12 (bookworm)",
                    "containerRuntimeVersion": "containerd://1.7.0",
                    "kubeletVersion": "v1.30.0",
                    "kubeProxyVersion": "v1.30.0",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                },
            },
        }
        if taints:
            node["spec"]["taints"] = taints
        with self.lock:
            node["metadata"]["resourceVersion"] = self._next_version()
            self.nodes[name] = node
            self.pods.setdefault(name, [])
        return node

    def set_ready(self, name: str, ready: bool) -> None:
        with self.lock:
            for condition in self.nodes[name]["status"]["conditions"]:
                if condition["type"] == "Ready":
                    condition["status"] = "True" if ready else "False"
            self.nodes[name]["metadata"]["resourceVersion"] = self._next_version()

    def add_pod(
        self,
        node: str,
        name: str,
        namespace: str = "default",
        *,
        daemonset: bool = False,
        disruption_budget: bool = False,
        terminates_before_eviction: bool = False,
    ) -> dict[str, Any]:
        """A running pod bound to `node`.

        daemonset: owned by a DaemonSet (drain must leave it, as `kubectl drain --ignore-daemonsets`).
        disruption_budget: a PodDisruptionBudget covers it, so its eviction is refused with 429.
        terminates_before_eviction: it is listed, then finishes on its own before its eviction arrives
        (the eviction gets 404), the race every drain of a busy node meets.
        """
        owner = (
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": name.rsplit("-", 1)[0]}
            if daemonset
            else {"apiVersion": "batch/v1", "kind": "Job", "name": name.rsplit("-", 1)[0]}
        )
        owner |= {"uid": str(uuid.uuid4()), "controller": True, "blockOwnerDeletion": True}
        pod = {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": str(uuid.uuid4()),
                "resourceVersion": "",
                "creationTimestamp": _now(),
                "labels": {"app": owner["name"]},
                "ownerReferences": [owner],
            },
            "spec": {
                "nodeName": node,
                "containers": [{"name": "main", "image": "registry.example/train:1"}],
                "restartPolicy": "Never" if not daemonset else "Always",
                "schedulerName": "default-scheduler",
                "serviceAccountName": "default",
            },
            "status": {"phase": "Running", "podIP": "10.244.0.10"},
        }
        with self.lock:
            if node not in self.nodes:
                raise KeyError(f"no node {node} in the stand-in")
            pod["metadata"]["resourceVersion"] = self._next_version()
            self.pods[node].append(pod)
            if disruption_budget:
                self._protected.add((namespace, name))
            if terminates_before_eviction:
                self._vanishing.add((namespace, name))
        return pod

    def pod_names(self, node: str) -> list[str]:
        with self.lock:
            return [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in self.pods.get(node, [])]

    def requests_to(self, method: str, path_prefix: str) -> list[ApiRequest]:
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    # --- request handling (called from the server's threads, under the lock) ---

    def handle(self, request: ApiRequest) -> tuple[int, dict[str, Any]]:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            raise ApiError(401, "Unauthorized", "Unauthorized")
        parts = [p for p in request.path.split("/") if p]
        if parts[:2] != ["api", "v1"]:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        rest = parts[2:]
        route = (request.method, *["*" if i % 2 else p for i, p in enumerate(rest)])
        if request.method in ("POST", "PUT", "PATCH") and request.body is _UNREADABLE:
            raise _bad_request("the request body is not valid JSON")
        if route == ("GET", "nodes"):
            return 200, self._list("NodeList", list(self.nodes.values()), request)
        if route == ("GET", "nodes", "*"):
            return 200, self._node(rest[1])
        if route == ("PATCH", "nodes", "*"):
            return 200, self._patch_node(rest[1], request)
        if route == ("GET", "pods"):
            return 200, self._list("PodList", self._all_pods(), request)
        if route == ("GET", "namespaces", "*", "pods"):
            pods = [p for p in self._all_pods() if p["metadata"]["namespace"] == rest[1]]
            return 200, self._list("PodList", pods, request)
        if route == ("GET", "namespaces", "*", "pods", "*"):
            return 200, self._find_pod(rest[1], rest[3])[1]
        if route == ("POST", "namespaces", "*", "pods", "*", "eviction"):
            return 201, self._evict(rest[1], rest[3], request)
        if route[1:] in ROUTES:
            raise ApiError(
                405, "MethodNotAllowed", f"the server does not allow this method on {request.path}"
            )
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def _node(self, name: str) -> dict[str, Any]:
        if name not in self.nodes:
            raise _not_found("nodes", name)
        return self.nodes[name]

    def _all_pods(self) -> list[dict[str, Any]]:
        return [pod for pods in self.pods.values() for pod in pods]

    def _find_pod(self, namespace: str, name: str) -> tuple[str, dict[str, Any]]:
        for node, pods in self.pods.items():
            for pod in pods:
                if pod["metadata"]["namespace"] == namespace and pod["metadata"]["name"] == name:
                    return node, pod
        raise _not_found("pods", name)

    def _list(self, kind: str, items: list[dict[str, Any]], request: ApiRequest) -> dict[str, Any]:
        query = {k: v[-1] for k, v in request.query.items()}
        if query.get("watch") in ("true", "1"):
            raise _bad_request("watch is not served by this stand-in")
        if "fieldSelector" in query:
            terms = _parse_selector(query["fieldSelector"], kind)
            items = [i for i in items if all(_matches(_field(i, f), op, v) for f, op, v in terms)]
        if "labelSelector" in query:
            terms = _parse_selector(query["labelSelector"], None)
            items = [
                i
                for i in items
                if all(_matches((i["metadata"].get("labels") or {}).get(f, ""), op, v) for f, op, v in terms)
            ]
        start = int(query.get("continue") or 0)
        metadata: dict[str, Any] = {"resourceVersion": str(self._version)}
        end = len(items)
        if query.get("limit"):
            limit = int(query["limit"])
            if limit < 0:
                raise _bad_request("limit must not be negative")
            if limit and start + limit < len(items):
                end = start + limit
                metadata["continue"] = str(end)
                metadata["remainingItemCount"] = len(items) - end
        item_kind = kind.removesuffix("List")
        listed = [{"kind": item_kind, "apiVersion": "v1"} | i for i in items[start:end]]
        return {"kind": kind, "apiVersion": "v1", "metadata": metadata, "items": listed}

    def _patch_node(self, name: str, request: ApiRequest) -> dict[str, Any]:
        content_type = request.content_type
        if content_type not in PATCH_TYPES:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: "
                + ", ".join(PATCH_TYPES),
            )
        node = self._node(name)
        patch = request.body
        if content_type == "application/json-patch+json":
            if not isinstance(patch, list):
                raise _bad_request(
                    "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
                    if isinstance(patch, dict)
                    else "a JSON Patch is a list of operations"
                )
            patched = _json_patch(node, patch)
        else:
            if not isinstance(patch, dict):
                raise _bad_request(f"a {content_type} body is a JSON object")
            for directive in _directives(patch):
                raise _bad_request(f"strategic merge directive {directive} is not served by this stand-in")
            patched = copy.deepcopy(node)
            _merge(patched, patch, (), strategic=content_type.startswith("application/strategic"))
        renamed = (patched.get("metadata") or {}).get("name")
        if renamed != name:
            raise _bad_request(
                f"the name of the object ({renamed}) does not match the name on the URL ({name})"
            )
        _check_node(patched, name)
        _omit_empty(patched)
        patched["metadata"]["resourceVersion"] = self._next_version()
        self.nodes[name] = patched
        return patched

    def _evict(self, namespace: str, name: str, request: ApiRequest) -> dict[str, Any]:
        # A create without Content-Type is decoded as JSON, the API server's first serializer.
        if request.content_type not in ("", "application/json"):
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"an Eviction is sent as application/json, not {request.content_type!r}",
            )
        body = request.body
        if not isinstance(body, dict):
            raise _bad_request("an Eviction body is a JSON object")
        unknown = sorted(set(body) - EVICTION_FIELDS)
        if unknown:
            raise _bad_request(f'strict decoding error: unknown field "{unknown[0]}"')
        if body.get("apiVersion") != "policy/v1" or body.get("kind") != "Eviction":
            raise _bad_request(
                "the eviction subresource takes a policy/v1 Eviction, got "
                f"apiVersion={body.get('apiVersion')!r} kind={body.get('kind')!r}"
            )
        meta = body.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            raise _bad_request("an Eviction names the pod it evicts in metadata.name")
        if meta["name"] != name:
            raise _bad_request("name in URL does not match name in Eviction object")
        if meta.get("namespace") not in (None, namespace):
            raise _bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        options = body.get("deleteOptions")
        if options is not None and (not isinstance(options, dict) or set(options) - DELETE_OPTIONS_FIELDS):
            raise _bad_request("deleteOptions is a DeleteOptions object")
        if (namespace, name) in self._vanishing:
            self._vanishing.discard((namespace, name))
            node, pod = self._find_pod(namespace, name)
            self.pods[node].remove(pod)
        node, pod = self._find_pod(namespace, name)
        if (namespace, name) in self._protected:
            raise ApiError(
                429,
                "TooManyRequests",
                "Cannot evict pod as it would violate the pod's disruption budget.",
                {
                    "causes": [
                        {
                            "reason": "DisruptionBudget",
                            "message": "The disruption budget needs 1 healthy pods and has 1 currently",
                        }
                    ]
                },
            )
        self.pods[node].remove(pod)
        self.evicted.append((namespace, name))
        self._next_version()
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


_UNREADABLE = object()


def _parse_selector(selector: str, kind: str | None) -> list[tuple[str, str, str]]:
    terms = []
    for term in filter(None, (t.strip() for t in selector.split(","))):
        match = re.fullmatch(r"([^=!]+)(==|!=|=)(.*)", term)
        if not match:
            raise _bad_request(
                f"invalid selector: {term!r}; only key=value, key==value and key!=value are served"
            )
        key, op, value = match.groups()
        if kind == "PodList" and key not in POD_SELECTABLE_FIELDS:
            raise _bad_request(
                f'"{key}" is not a known field selector: only "{", ".join(sorted(POD_SELECTABLE_FIELDS))}"'
            )
        if kind == "NodeList" and key not in ("metadata.name", "spec.unschedulable"):
            raise _bad_request(
                f'"{key}" is not a known field selector: only "metadata.name", "spec.unschedulable"'
            )
        terms.append((key, "!=" if op == "!=" else "=", value))
    return terms


def _field(obj: dict[str, Any], dotted: str) -> str:
    value: Any = obj
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _matches(actual: str, op: str, wanted: str) -> bool:
    return (actual == wanted) if op == "=" else (actual != wanted)


def _directives(patch: Any) -> Iterator[str]:
    if isinstance(patch, dict):
        for key, value in patch.items():
            if key.startswith("$"):
                yield key
            yield from _directives(value)
    elif isinstance(patch, list):
        for item in patch:
            yield from _directives(item)


def _merge(target: dict[str, Any], patch: dict[str, Any], path: tuple[str, ...], strategic: bool) -> None:
    """JSON merge patch (RFC 7386) and, where `strategic`, the Node lists that merge by key."""
    for key, value in patch.items():
        here = (*path, key)
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):  # RFC 7386: a missing object is merged into as {} (its nulls vanish)
            if not isinstance(target.get(key), dict):
                target[key] = {}
            _merge(target[key], value, here, strategic)
        elif (
            strategic and here in MERGE_KEYS and isinstance(value, list) and isinstance(target.get(key), list)
        ):
            merge_key = MERGE_KEYS[here]
            merged = copy.deepcopy(target[key])
            for item in value:
                if not isinstance(item, dict) or merge_key not in item:
                    raise _bad_request(f"{'.'.join(here)}: every item needs its merge key {merge_key}")
                same = [m for m in merged if m.get(merge_key) == item[merge_key]]
                if same:
                    _merge(same[0], item, here, strategic)
                else:
                    merged.append(copy.deepcopy(item))
            target[key] = merged
        else:
            target[key] = copy.deepcopy(value)


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise _bad_request(f"a JSON Patch path is a JSON pointer, got {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _json_patch(node: dict[str, Any], operations: list[Any]) -> dict[str, Any]:
    """RFC 6902 add / remove / replace / test, the operations a node patch needs."""
    doc = copy.deepcopy(node)
    for op in operations:
        if not isinstance(op, dict) or op.get("op") not in ("add", "remove", "replace", "test"):
            raise _bad_request(f"unsupported JSON Patch operation {op!r}")
        *parents, last = _pointer(op.get("path"))
        container: Any = doc
        for part in parents:
            container = container[int(part)] if isinstance(container, list) else container.get(part)
            if container is None:
                raise ApiError(422, "Invalid", f"doc is missing path: {op['path']}")
        if op["op"] != "remove" and "value" not in op:
            raise _bad_request(f"JSON Patch {op['op']} needs a value")
        if isinstance(container, list):
            index = len(container) if last == "-" else int(last)
            if op["op"] == "add":
                container.insert(index, op["value"])
            elif op["op"] == "remove":
                container.pop(index)
            elif op["op"] == "replace":
                container[index] = op["value"]
            elif container[index] != op["value"]:
                raise ApiError(422, "Invalid", f"testing value {op['path']} failed")
        elif isinstance(container, dict):
            if op["op"] in ("remove", "replace", "test") and last not in container:
                raise ApiError(422, "Invalid", f"doc is missing path: {op['path']}")
            if op["op"] in ("add", "replace"):
                container[last] = op["value"]
            elif op["op"] == "remove":
                del container[last]
            elif container[last] != op["value"]:
                raise ApiError(422, "Invalid", f"testing value {op['path']} failed")
        else:
            raise ApiError(422, "Invalid", f"doc is missing path: {op['path']}")
    return doc


def _check_node(node: dict[str, Any], name: str) -> None:
    """The patched Node must still decode and validate, as the API server checks before storing it."""
    if not isinstance(node, dict):
        raise _invalid("nodes", name, [("patch", "the patched object is not a Node")])
    for section, allowed in NODE_FIELDS.items():
        obj = node if not section else node.get(section, {})
        if not isinstance(obj, dict):
            raise _invalid("nodes", name, [(section, "must be an object")])
        unknown = sorted(set(obj) - allowed)
        if unknown:
            prefix = f"{section}." if section else ""
            raise _bad_request(f'strict decoding error: unknown field "{prefix}{unknown[0]}"')
    spec, meta = node.get("spec", {}), node["metadata"]
    causes: list[tuple[str, str]] = []
    if "unschedulable" in spec and not isinstance(spec["unschedulable"], bool):
        causes.append(("spec.unschedulable", f"Invalid value: {spec['unschedulable']!r}: must be a boolean"))
    taints = spec.get("taints")
    if taints is not None and not isinstance(taints, list):
        causes.append(("spec.taints", "must be a list of taints"))
    seen: set[tuple[str, str]] = set()
    for index, taint in enumerate(taints if isinstance(taints, list) else []):
        where = f"spec.taints[{index}]"
        if not isinstance(taint, dict):
            causes.append((where, "must be a taint object"))
            continue
        if set(taint) - TAINT_FIELDS:
            raise _bad_request(
                f'strict decoding error: unknown field "{where}.{sorted(set(taint) - TAINT_FIELDS)[0]}"'
            )
        key, value, effect = taint.get("key"), taint.get("value"), taint.get("effect")
        if not isinstance(key, str) or not QUALIFIED_NAME.match(key):
            causes.append((f"{where}.key", f"Invalid value: {key!r}: a taint key is a qualified name"))
        if value is not None and (
            not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value)
        ):
            causes.append(
                (f"{where}.value", f"Invalid value: {value!r}: a taint value is a valid label value")
            )
        if effect not in TAINT_EFFECTS:
            supported = ", ".join(f'"{e}"' for e in TAINT_EFFECTS)
            causes.append(
                (f"{where}.effect", f"Unsupported value: {effect!r}: supported values: {supported}")
            )
        if (key, effect) in seen:
            causes.append(
                (where, f"Duplicate value: taints must be unique by key and effect pair ({key}:{effect})")
            )
        seen.add((key, effect))
    for section in ("annotations", "labels"):
        entries = meta.get(section)
        if entries is None:
            continue
        if not isinstance(entries, dict):
            causes.append((f"metadata.{section}", "must be a map of strings"))
            continue
        for key, value in entries.items():
            if not QUALIFIED_NAME.match(key):
                causes.append((f"metadata.{section}", f"Invalid value: {key!r}: keys are qualified names"))
            if not isinstance(value, str):
                causes.append((f"metadata.{section}.{key}", f"Invalid value: {value!r}: values are strings"))
    if len(json.dumps(meta.get("annotations") or {})) > 256 * 1024:
        causes.append(("metadata.annotations", "Too long: must have at most 262144 bytes"))
    if causes:
        raise _invalid("nodes", name, causes)


def _omit_empty(node: dict[str, Any]) -> None:
    """Go's `omitempty`: what the API server would not send back."""
    spec, meta = node.setdefault("spec", {}), node["metadata"]
    if spec.get("unschedulable") is False:
        del spec["unschedulable"]
    for holder, key in ((spec, "taints"), (meta, "annotations"), (meta, "labels")):
        if holder.get(key) in ([], {}):
            del holder[key]


class _Handler(BaseHTTPRequestHandler):
    api: KubeApi  # set on the subclass made per server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = _UNREADABLE
        request = ApiRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        with self.api.lock:
            self.api.requests.append(request)
            try:
                status, answer = self.api.handle(request)
            except ApiError as error:
                status, answer = error.code, error.status()
            request.status = status
            data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PATCH = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server's naming

    def log_message(self, *args: Any) -> None:
        return None


def _write_kubeconfig(path: Path, url: str, token: str) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": url, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "fleetops", "user": {"token": token}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": "fleetops"}}],
        "current-context": CONTEXT,
        "preferences": {},
    }
    path.write_text(json.dumps(config, indent=2))  # JSON is YAML: any kubeconfig loader reads it


@contextmanager
def local_kube_api(directory: Path | str, nodes: list[str]) -> Iterator[KubeApi]:
    """Serve the stand-in on a free loopback port with `nodes` Ready and schedulable; stop it on exit."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    handler = type("KubeApiHandler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    url = f"http://127.0.0.1:{server.server_address[1]}"
    token = secrets.token_urlsafe(24)
    kubeconfig = directory / "kubeconfig"
    _write_kubeconfig(kubeconfig, url, token)
    api = KubeApi(url=url, token=token, kubeconfig=str(kubeconfig))
    handler.api = api
    for name in nodes:
        api.add_node(name)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="kube-api", daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
