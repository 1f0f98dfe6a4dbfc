"""Console `/rollouts`: every rollout's progress, and `/rollouts/{name}` live (refreshed every 3 s).

Tenants see the rollouts into clusters `inventory.scope.visible` lets them see; any other rollout
answers 404, exactly as an unknown one does. Pages call the same service functions as the API.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.db.ids import as_id
from fleetops.deploy import service
from fleetops.deploy.choices import BringupState, RolloutState
from fleetops.deploy.hardening import PROFILES
from fleetops.deploy.models import BringupTransition, NodeBringup, Rollout
from fleetops.deploy.plan import DEPLOYABLE_CLUSTER, PlanRequest
from fleetops.errors import FleetopsError, InvalidTransition, NotFound
from fleetops.inventory.models import Cluster
from fleetops.inventory.scope import visible
from fleetops.web.grid import Cell, Group, arrange
from fleetops.web.healthmap import places
from fleetops.web.views import ViewerDep, render, templates

router = APIRouter(include_in_schema=False)
REFRESH_S = 3
LIVE = frozenset({RolloutState.PLANNED.value, RolloutState.RUNNING.value, RolloutState.PAUSED.value})
_FRAGMENT = templates.env.from_string(
    '{% from "_macros.html" import rollout_live %}'
    "{{ rollout_live(r, queue, transitions, BringupState, RolloutState, actions, racks) }}"
)
# What an operator may do to a rollout in each state: the same verbs as `fleetops deploy` and the API.
ACTIONS: dict[str, tuple[str, ...]] = {
    RolloutState.PLANNED.value: ("start", "abort"),
    RolloutState.RUNNING.value: ("pause", "abort"),
    RolloutState.PAUSED.value: ("resume", "abort"),
}
VERBS = frozenset({"start", "pause", "resume", "abort"})


def visible_rollouts(
    db: Session,
    who: Principal,
    name: str | None = None,
    limit: int = 50,
    rollout_id: int | None = None,
    states: tuple[RolloutState, ...] = (),
) -> list[str]:
    """Rollout names the viewer may see, newest first: staff all, tenants those of their clusters."""
    stmt = select(Rollout.name).order_by(Rollout.id.desc()).limit(limit)
    if states:
        stmt = stmt.where(Rollout.state.in_(states))
    if name is not None:
        stmt = stmt.where(Rollout.name == name)
    if rollout_id is not None:
        stmt = stmt.where(Rollout.id == rollout_id)
    rule = visible("cluster", who)
    if rule is not None:
        stmt = stmt.where(Rollout.cluster_id.in_(select(Cluster.id).where(rule)))
    return list(db.scalars(stmt))


def _recent_transitions(db: Session, rollout: str, limit: int = 30) -> list[dict[str, Any]]:
    rows = db.execute(
        select(BringupTransition, NodeBringup.hostname, NodeBringup.node_id)
        .join(NodeBringup, NodeBringup.id == BringupTransition.bringup_id)
        .join(Rollout, Rollout.id == BringupTransition.rollout_id)
        .where(Rollout.name == rollout)
        .order_by(BringupTransition.id.desc())
        .limit(limit)
    )
    return [
        {
            "at": t.at,
            "hostname": host,
            "node_id": node_id,
            "from": t.from_state,
            "to": t.to_state,
            "actor": t.actor,
            "why": t.reason,
        }
        for t, host, node_id in rows
    ]


def _rack_grid(db: Session, rollout: str) -> list[Group]:
    """The rollout's racks, each node coloured by its bring-up state; a failing node is its own cell."""
    rows = db.execute(
        select(NodeBringup.rack_id, NodeBringup.hostname, NodeBringup.state, NodeBringup.last_error)
        .join(Rollout, Rollout.id == NodeBringup.rollout_id)
        .where(Rollout.name == rollout)
        .order_by(NodeBringup.rack_id, NodeBringup.hostname)
    )
    cells = [
        Cell(rack, host, state.colour, state.colour in ("red", "orange"), error or state.label)
        for rack, host, state, error in rows
    ]
    return arrange(cells, places(db))


def _live_context(db: Session, who: Principal, name: str) -> dict[str, Any]:
    """Everything the live part of a rollout page shows; NotFound for a rollout the viewer may not see."""
    if not visible_rollouts(db, who, name, limit=1):
        raise NotFound(f"rollout {name}: no such rollout")
    status = service.status(db, name)
    return {
        "r": status,
        "queue": service.needs_human(db, name),
        "transitions": _recent_transitions(db, name),
        "racks": _rack_grid(db, name),
        "actions": ACTIONS.get(status["state"], ()) if who.role.can_write_inventory else (),
        "BringupState": BringupState,
        "RolloutState": RolloutState,
    }


def _list_page(
    request: Request, db: Session, who: Principal, status: int = 200, error: str | None = None, **form: str
) -> Response:
    rollouts = [service.status(db, name) for name in visible_rollouts(db, who)]
    live = any(r["state"] in LIVE for r in rollouts) and error is None  # never reload over a form
    writer = who.role.can_write_inventory
    clusters = db.scalars(
        select(Cluster.name).where(Cluster.state.in_(DEPLOYABLE_CLUSTER)).order_by(Cluster.name)
    )
    return render(
        request,
        "rollouts.html",
        who,
        status,
        rollouts=rollouts,
        refresh_s=REFRESH_S * 2 if live else None,
        clusters=list(clusters) if writer else [],
        profiles=sorted(PROFILES),
        form=form,
        error=error,
        BringupState=BringupState,
        RolloutState=RolloutState,
    )


@router.get("/rollouts", response_class=HTMLResponse)
def rollouts_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    if who is None:
        return render(request, "rollouts.html", who)
    return _list_page(request, db, who)


@router.post("/rollouts")
def plan_rollout(
    request: Request,
    db: SessionDep,
    who: ViewerDep,
    name: Annotated[str, Form()] = "",
    cluster: Annotated[str, Form()] = "",
    image: Annotated[str, Form()] = "",
    profile: Annotated[str, Form()] = "",
    pod: Annotated[str, Form()] = "",
    hostnames: Annotated[str, Form()] = "",
) -> Response:
    """Plan as `fleetops deploy plan` does: a wrong plan is refused, with the service's message, up front."""
    if who is None:
        return RedirectResponse("/login", status_code=303)
    hosts = hostnames.replace(",", " ").split()
    request_ = PlanRequest(name.strip(), cluster, image.strip(), profile, hosts, pod.strip() or None)
    try:
        rollout = service.plan(db, who, request_)
    except FleetopsError as exc:
        form = {
            "name": name,
            "cluster": cluster,
            "image": image,
            "profile": profile,
            "pod": pod,
            "hostnames": hostnames,
        }
        return _list_page(request, db, who, exc.status, exc.message, **form)
    return RedirectResponse(f"/rollouts/{quote(rollout.name)}", status_code=303)


@router.get("/rollouts/{name}", response_class=HTMLResponse)
def rollout_page(request: Request, name: str, db: SessionDep, who: ViewerDep) -> Response:
    if who is None:
        return render(request, "rollout.html", who)
    try:
        context = _live_context(db, who, name)
    except NotFound as exc:
        rollout_id = as_id(name)
        by_id = visible_rollouts(db, who, rollout_id=rollout_id, limit=1) if rollout_id else []
        if by_id:  # the API names rollouts; a numeric id (from a log line, say) finds the same page
            return RedirectResponse(f"/rollouts/{quote(by_id[0])}", status_code=303)
        return render(request, "error.html", who, status=exc.status, error=exc.message)
    return render(request, "rollout.html", who, refresh_s=REFRESH_S, **context)


@router.get("/rollouts/{name}/live", response_class=HTMLResponse)
def rollout_live(name: str, db: SessionDep, who: ViewerDep) -> Response:
    """The live part of the rollout page alone, fetched by the page every few seconds."""
    if who is None:
        return RedirectResponse("/login", status_code=303)
    try:
        context = _live_context(db, who, name)
    except NotFound as exc:
        return HTMLResponse(exc.message, status_code=exc.status)
    return HTMLResponse(_FRAGMENT.render(**context))


@router.post("/rollouts/{name}/{verb}")
def rollout_action(request: Request, name: str, verb: str, db: SessionDep, who: ViewerDep) -> Response:
    """Start, pause, resume or abort from the console; the service checks the role and the transition."""
    if who is None:
        return RedirectResponse("/login", status_code=303)
    try:
        if verb not in VERBS or not visible_rollouts(db, who, name, limit=1):
            raise NotFound(f"rollout {name}: no such rollout or action {verb}")
        who.require_writer()
        state = service.get_rollout(db, name).state.value
        if verb not in ACTIONS.get(state, ()):
            raise InvalidTransition(f"rollout {name}: field state: cannot {verb} a {state} rollout")
        if verb in ("start", "resume"):
            getattr(service, verb)(db, who, name)
        else:
            getattr(service, verb)(db, who, name, f"{verb} in the console by {who.actor}")
    except NotFound as exc:
        return render(request, "error.html", who, status=exc.status, error=exc.message)
    except FleetopsError as exc:
        context = _live_context(db, who, name)
        return render(
            request, "rollout.html", who, exc.status, refresh_s=REFRESH_S, error=exc.message, **context
        )
    return RedirectResponse(f"/rollouts/{quote(name)}", status_code=303)
