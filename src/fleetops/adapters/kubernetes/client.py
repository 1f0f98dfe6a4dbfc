"""Kubernetes nodes through the official client: Ready condition, cordon (spec.unschedulable), taints.

Drain = cordon + a `fleetops.io/drained:NoSchedule` taint + the reason as an annotation + evicting the
node's pods (DaemonSet pods stay, as `kubectl drain --ignore-daemonsets` does). Resume undoes all three.
Errors carry the API server's message; 429 and 5xx are retryable.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from fleetops.adapters.kubernetes import DRAIN_REASON, DRAIN_TAINT
from fleetops.adapters.slurm import NodeStatus
from fleetops.errors import ExternalError
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def _error(action: str, node: str, error: Exception) -> ExternalError:
    if isinstance(error, ApiException):
        message = error.reason
        with contextlib.suppress(ValueError):
            message = json.loads(error.body or "{}").get("message") or message
        return ExternalError(
            f"kubernetes {action} node {node}: HTTP {error.status}: {message}",
            retryable=error.status in RETRYABLE_STATUS,
            status=error.status,
        )
    return ExternalError(f"kubernetes {action} node {node}: {type(error).__name__}: {error}", retryable=True)


class KubernetesClient:
    def __init__(self, api_client: k8s.ApiClient) -> None:
        self.core = k8s.CoreV1Api(api_client)

    @classmethod
    def from_kubeconfig(cls, path: str | None = None, context: str | None = None) -> KubernetesClient:
        from kubernetes import config

        return cls(config.new_client_from_config(config_file=path, context=context))

    def _call(self, action: str, node: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - mapped to ExternalError with the API server's message
            raise _error(action, node, error) from error

    def status(self, node: str) -> NodeStatus:
        found = self._call("read", node, self.core.read_node, node)
        ready = any(c.type == "Ready" and c.status == "True" for c in (found.status.conditions or []))
        unschedulable = bool(found.spec.unschedulable)
        taints = [t for t in (found.spec.taints or []) if t.effect in ("NoSchedule", "NoExecute")]
        words = ["Ready" if ready else "NotReady"] + (["SchedulingDisabled"] if unschedulable else [])
        reason = (found.metadata.annotations or {}).get(DRAIN_REASON)
        return NodeStatus(
            node,
            ",".join(words),
            accepts_work=ready and not unschedulable and not taints,
            drained=unschedulable,
            reason=reason,
        )

    def _taints(self, node: str) -> list[dict[str, Any]]:
        found = self._call("read", node, self.core.read_node, node)
        return [{"key": t.key, "value": t.value, "effect": t.effect} for t in (found.spec.taints or [])]

    def taint(self, node: str, key: str, value: str, effect: str = "NoSchedule") -> None:
        taints = [t for t in self._taints(node) if t["key"] != key] + [
            {"key": key, "value": value, "effect": effect}
        ]
        self._call("taint", node, self.core.patch_node, node, {"spec": {"taints": taints}})

    def cordon(self, node: str, unschedulable: bool = True) -> None:
        self._call("cordon", node, self.core.patch_node, node, {"spec": {"unschedulable": unschedulable}})

    def drain(self, node: str, reason: str) -> None:
        taints = [t for t in self._taints(node) if t["key"] != DRAIN_TAINT]
        taints.append({"key": DRAIN_TAINT, "value": "true", "effect": "NoSchedule"})
        body = {
            "spec": {"unschedulable": True, "taints": taints},
            "metadata": {"annotations": {DRAIN_REASON: reason[:1000]}},
        }
        self._call("drain", node, self.core.patch_node, node, body)
        pods = self._call(
            "list pods on",
            node,
            self.core.list_pod_for_all_namespaces,
            field_selector=f"spec.nodeName={node}",
        )
        for pod in pods.items:
            owners = pod.metadata.owner_references or []
            if any(o.kind == "DaemonSet" for o in owners):
                continue
            self._evict(node, pod.metadata.name, pod.metadata.namespace)

    def _evict(self, node: str, name: str, namespace: str) -> None:
        meta = k8s.V1ObjectMeta(name=name, namespace=namespace)
        eviction = k8s.V1Eviction(api_version="policy/v1", kind="Eviction", metadata=meta)
        try:
            self.core.create_namespaced_pod_eviction(name, namespace, eviction)
        except ApiException as error:
            # A pod that finished between the list and its eviction is already off the node (404), as
            # `kubectl drain` treats it; failing here would escalate a drain that in fact succeeded.
            if error.status == 404:
                return
            raise _error("evict pods on", node, error) from error
        except Exception as error:  # noqa: BLE001 - mapped to ExternalError like every other call
            raise _error("evict pods on", node, error) from error

    def resume(self, node: str) -> None:
        taints = [t for t in self._taints(node) if t["key"] != DRAIN_TAINT]
        body = {
            "spec": {"unschedulable": False, "taints": taints or None},
            "metadata": {"annotations": {DRAIN_REASON: None}},
        }
        self._call("uncordon", node, self.core.patch_node, node, body)
