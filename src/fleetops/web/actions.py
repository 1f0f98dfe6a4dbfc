"""What a person may do to a node from its page, through the same services as the API: cordon and drain
(the inventory's lifecycle table decides whether the move is allowed), approve the remediation run that
waits for a person, and ask the agent for a qualification under load. Writers only (admin, operator)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.errors import FleetopsError, InvalidTransition, NotFound
from fleetops.health import service as health
from fleetops.inventory import service as inventory
from fleetops.inventory.choices import NodeState
from fleetops.inventory.fsm import NODE_TRANSITIONS
from fleetops.inventory.kinds import KINDS
from fleetops.remediation import service as remediation
from fleetops.remediation.fsm import TERMINAL
from fleetops.remediation.models import RemediationRun
from fleetops.web.views import ViewerDep, render

router = APIRouter(include_in_schema=False)
# The remediation engine's own words for a run held until a person approves (remediation.engine).
WAITING_FOR_APPROVAL = "waiting for a person to approve"
MOVES = {"cordon": NodeState.CORDONED, "drain": NodeState.DRAINING}
QUALIFIABLE = frozenset({NodeState.READY, NodeState.CORDONED, NodeState.DRAINING, NodeState.REPAIR})


def awaits_approval(run: RemediationRun | None) -> bool:
    return (
        run is not None
        and run.state not in TERMINAL
        and (run.last_error or "").startswith(WAITING_FOR_APPROVAL)
    )


def allowed_actions(who: Principal, node: dict[str, Any], run: RemediationRun | None) -> list[str]:
    if not who.role.can_write_inventory:
        return []
    state = NodeState(node["state"])
    out = [verb for verb, target in MOVES.items() if target in NODE_TRANSITIONS[state]]
    out += ["approve"] if awaits_approval(run) else []
    return out + (["qualify"] if state in QUALIFIABLE else [])


def _act(db: SessionDep, who: Principal, node: dict[str, Any], verb: str) -> None:
    who.require_writer()
    if verb in MOVES:
        inventory.update_record(db, who, KINDS["node"], node["id"], {"state": MOVES[verb].value})
    elif verb == "approve":
        runs = remediation.list_runs(db, who, hostname=node["hostname"], limit=20)
        waiting = next((r for r in runs if awaits_approval(r)), None)
        if waiting is None:
            raise InvalidTransition(f"node {node['hostname']}: no remediation run waits for an approval")
        remediation.approve(db, who, waiting.id)
    elif verb == "qualify":
        health.request_node_qualification(db, who, node["id"], reason=f"asked in the console by {who.actor}")
    else:
        raise NotFound(f"node {node['hostname']}: no action {verb}")


@router.post("/nodes/{key}/{verb}")
def node_action(request: Request, key: str, verb: str, db: SessionDep, who: ViewerDep) -> Response:
    if who is None:
        return RedirectResponse("/login", status_code=303)
    try:
        node = inventory.find(db, who, KINDS["node"], key)
        with db.begin_nested():  # a refused action leaves nothing behind
            _act(db, who, node, verb)
    except FleetopsError as exc:
        return render(
            request, "error.html", who, status=exc.status, error=exc.message, back=f"/nodes/{quote(key)}"
        )
    return RedirectResponse(f"/nodes/{quote(node['hostname'])}", status_code=303)
