"""Console `/assets`: the lifecycle in counts and moves per day, spares running out, and for staff the SLA
timers and breaches, purchase order mismatches, NetBox drift and model completeness per pod.

A customer or supplier sees the counts, moves and spares of its own assets only (`assets/scope.py` and
the spares query decide); the fleet-wide reports are staff's, as in the API."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.api.deps import SessionDep
from fleetops.assets import breaches, drift, matching, netbox_service, spares
from fleetops.assets.choices import AssetState
from fleetops.assets.models import Asset, AssetTransition
from fleetops.assets.scope import visible
from fleetops.auth.principal import Principal
from fleetops.config import settings
from fleetops.errors import ExternalError, Forbidden, InvalidInput
from fleetops.web.charts import Chart, Series
from fleetops.web.views import ViewerDep, render

router = APIRouter(include_in_schema=False)
DAYS = 30
# The moves a chart shows, by the state they reach: arrivals, going into service, going out for repair.
CHARTED = {
    "Shipped": ("shipped",), "Deployed": ("deployed",), "Repair / RMA": ("repair", "rma"),
}  # fmt: skip
COLOURS = {"Shipped": "blue", "Deployed": "green", "Repair / RMA": "red"}


def _lifecycle(db: Session, who: Principal) -> dict[str, Any]:
    where = visible(who)
    mine = where if where is not None else true()
    counts = dict(db.execute(select(Asset.state, func.count()).where(mine).group_by(Asset.state)).all())
    moves = select(AssetTransition.at, AssetTransition.to_state, Asset.serial, AssetTransition.from_state)
    moves = moves.join(Asset, and_(Asset.id == AssetTransition.asset_id, mine))
    since = clock.now() - timedelta(days=DAYS)
    latest = db.execute(moves.order_by(AssetTransition.id.desc()).limit(20)).all()
    charted = db.execute(moves.where(AssetTransition.at >= since)).all()
    return {"counts": [(s, counts.get(s, 0)) for s in AssetState], "recent": latest, "chart": _chart(charted)}


def _chart(rows: Sequence[Any]) -> Chart:
    today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    per: Counter[tuple[str, datetime]] = Counter()
    for at, to_state, _, _ in rows:
        day = at.replace(hour=0, minute=0, second=0, microsecond=0)
        per.update((label, day) for label, states in CHARTED.items() if to_state in states)
    series = [Series(label, [per[(label, d)] for d in days], COLOURS[label]) for label in CHARTED]
    return Chart(x=days, series=series, bars=True)


def _netbox(db: Session, compare: bool) -> dict[str, Any]:
    """Drift reads every object of NetBox (minutes at 10,000 nodes, docs/benchmarks.md): only when asked
    (`?drift=1`), not at each load of the page. Unconfigured or unreachable is said on the page, not an
    error page."""
    if settings().assets.netbox is None:
        return {
            "error": "NetBox is not configured ([assets.netbox] url, token)",
            "completeness": drift.completeness(db),
        }
    if not compare:
        return {"completeness": drift.completeness(db), "ask": True}
    try:
        return netbox_service.drift_report(db)
    except (ExternalError, InvalidInput) as exc:
        return {"error": f"NetBox: {exc.message}", "completeness": drift.completeness(db)}


def _staff(who: Principal) -> bool:
    """The fleet-wide reports' audience, as the API decides it (`Principal.require_staff`)."""
    try:
        who.require_staff()
    except Forbidden:
        return False
    return True


@router.get("/assets", response_class=HTMLResponse)
def assets_page(
    request: Request, db: SessionDep, who: ViewerDep, compare: Annotated[bool, Query(alias="drift")] = False
) -> Response:
    if who is None:
        return render(request, "assets.html", who)
    context: dict[str, Any] = {
        "lifecycle": _lifecycle(db, who),
        "spares": spares.listed(db, who),
        "staff": _staff(who),
    }
    if context["staff"]:
        context |= {
            "sla": breaches.status(db, clock.now()),
            "mismatches": matching.report(db),
            "netbox": _netbox(db, compare),
        }
    return render(request, "assets.html", who, **context)
