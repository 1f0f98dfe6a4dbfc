"""Console `/nodes/{hostname}`: what an on-call engineer needs about one node on one page: identity, what
is happening to it now (a remediation run in flight says so over the lifecycle state), each GPU once with
its health, XIDs and ECC findings and a 24-hour health strip, its incidents, runs, bring-up and audit
history, and the actions the viewer's role allows (cordon, drain, approve, qualify)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.alerts.views import CHOICES, node_incidents
from fleetops.api.deps import SessionDep
from fleetops.audit import service as audit
from fleetops.auth.principal import Principal
from fleetops.deploy import service as deploy
from fleetops.health import service as health
from fleetops.inventory import service as inventory
from fleetops.inventory.kinds import KINDS
from fleetops.remediation import service as remediation
from fleetops.remediation.choices import RunState
from fleetops.remediation.fsm import TERMINAL
from fleetops.web.actions import allowed_actions
from fleetops.web.sparkline import health_strip
from fleetops.web.telemetry import node_telemetry
from fleetops.web.views import ViewerDep, find_or_page, render

router = APIRouter(include_in_schema=False)
STRIP = timedelta(hours=24)


def _gpus(db: Session, who: Principal, node: dict[str, Any], found: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per GPU: inventory (serial) + health + its findings + its 24 h strip."""
    serials = {
        g["index"]: g for g in inventory.list_records(db, who, KINDS["gpu"], {"node": node["hostname"]}).items
    }
    now = clock.now()
    rows = []
    for g in found["gpus"]:
        mine = [f for f in found["findings"] if f["gpu_index"] == g["index"]]
        changes = [c for c in found["changes"] if c["gpu_id"] == serials.get(g["index"], {}).get("id")]
        rows.append(
            g
            | {
                "serial": serials.get(g["index"], {}).get("serial"),
                "xids": sorted({f["xid"] for f in mine if f["xid"] is not None and f["open"]}),
                "ecc": [f for f in mine if f["check"].startswith("ecc") and f["open"]],
                "strip": health_strip(changes, g["state"], now - STRIP, now),
            }
        )
    return rows


def _audit(db: Session, hostname: str) -> list[Any]:
    """The node's audit entries, newest first (the audit query reads oldest first)."""
    entries = audit.query(db, audit.AuditQuery(target_type="node", target_key=hostname, limit=1000))
    return list(entries[-30:])[::-1]


def node_context(db: Session, who: Principal, node: dict[str, Any]) -> dict[str, Any]:
    found = health.node_health(db, who, node["id"], recent=50)
    runs = remediation.list_runs(db, who, hostname=node["hostname"], limit=20)
    active = next((r for r in runs if r.state not in TERMINAL), None)
    staff = not who.role.tenant_scoped
    return {
        "node": node,
        "health": found,
        "gpus": _gpus(db, who, node, found),
        "incidents": node_incidents(db, who, node["id"]),
        "runs": runs,
        "active_run": active,
        "bringup": deploy.history(db, node["hostname"]) if staff else [],
        "audit": _audit(db, node["hostname"]) if staff else [],
        "actions": allowed_actions(who, node, active),
        "telemetry": node_telemetry(node["hostname"]),
        "states": RunState,
        **CHOICES,
    }


@router.get("/nodes/{key}", response_class=HTMLResponse)
def node_page(request: Request, key: str, db: SessionDep, who: ViewerDep) -> Response:
    """By hostname; a numeric id (an old link, a log line) redirects to the hostname's URL."""
    if who is None:
        return render(request, "node.html", who)
    node = find_or_page(request, db, who, "node", key, "/nodes/{}")
    if isinstance(node, Response):
        return node
    return render(request, "node.html", who, **node_context(db, who, node))
