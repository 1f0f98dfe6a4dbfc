"""Remediation runs as RebootNode custom resources, for customers who allow CRDs in their cluster.

The record mirrors the run (node, when the reboot started, when the node was verified, how it ended);
fleetops never reads it back: the run in fleetops stays the truth.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from fleetops.remediation.choices import ActionKind, RunState
from fleetops.remediation.models import RemediationRun

CRD_FILE = Path(__file__).with_name("rebootnode.crd.yaml")
API_VERSION = "janitor.dgxc.nvidia.com/v1alpha1"


@cache
def crd() -> dict[str, Any]:
    return yaml.safe_load(CRD_FILE.read_text(encoding="utf-8"))


def record_schema() -> dict[str, Any]:
    return crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def _time(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def reboots(run: RemediationRun) -> bool:
    return ActionKind.REBOOT_NODE.value in (run.plan or [])


def reboot_node(run: RemediationRun) -> dict[str, Any]:
    """One run's RebootNode: NodeReady True once verified, False when it escalated, else Unknown."""
    ready = {RunState.RESOLVED.value: "True", RunState.ESCALATED.value: "False"}.get(run.state, "Unknown")
    changed = run.verified_at or run.finished_at or run.acted_at or run.detected_at
    status: dict[str, Any] = {
        "conditions": [
            {
                "type": "NodeReady",
                "status": ready,
                "reason": "Run" + run.state.capitalize(),
                "message": run.reason[:32768],
                "lastTransitionTime": _time(changed),
            }
        ]
    }
    for key, value in (("startTime", run.acted_at), ("completionTime", run.finished_at)):
        if value is not None:
            status[key] = _time(value)
    return {
        "apiVersion": API_VERSION,
        "kind": "RebootNode",
        "metadata": {
            "name": f"fleetops-run-{run.id}",
            "labels": {"app.kubernetes.io/managed-by": "fleetops", "fleetops.io/run-id": str(run.id)},
        },
        "spec": {"nodeName": run.hostname, "force": False},
        "status": status,
    }
