"""Console `/incidents`: the incidents the viewer may see, filtered (priority, status, cluster, supplier,
words) and grouped by cluster or supplier, each with its "why" in a sentence and acknowledge/resolve for
writers; the alert path's scorecard for staff. `/live/incidents` is the same list alone, for the page to
refresh itself every few seconds."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from fleetops.alerts import models
from fleetops.alerts import service as alerts
from fleetops.alerts.choices import Disposition, IncidentStatus
from fleetops.alerts.views import CHOICES, causes, deliveries, incidents
from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.web.views import ViewerDep, render, render_part

router = APIRouter(include_in_schema=False)
LIVE_S = 10
GROUPS = ("cluster", "supplier")


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = IncidentStatus.OPEN.value
    priority: str = ""
    cluster: str = ""
    supplier: str = ""
    q: str = ""
    group: str = ""

    def keep(self, i: models.Incident) -> bool:
        words = self.q.strip().lower()
        return (
            (not self.priority or i.priority == self.priority)
            and (not self.cluster or i.labels.get("cluster") == self.cluster)
            and (not self.supplier or i.labels.get("supplier") == self.supplier)
            and (not words or words in f"{i.subject} {i.reason} {i.key}".lower())
        )


def why_words(i: models.Incident) -> str:
    """What the pipeline did with the incident and why, as a sentence (the explain page has the chain)."""
    receivers = ", ".join(i.receivers) or "no receiver"
    said = {
        Disposition.NOTIFIED.value: f"Sent to {receivers}",
        Disposition.PENDING.value: f"Waiting for its group timer before telling {receivers}",
        Disposition.SUPPRESSED.value: "Kept quiet",
        Disposition.INHIBITED.value: "Muted by a wider incident",
        Disposition.UNROUTED.value: "No receiver matched",
    }.get(i.disposition, i.disposition)
    return f"{said}: {i.reason}" if i.reason else said


def context(db: Session, who: Principal, f: Filters) -> dict[str, Any]:
    statuses = [f.status] if f.status else [IncidentStatus.OPEN.value, IncidentStatus.RESOLVED.value]
    shown = [i for s in statuses for i in incidents(db, who, s, 500) if f.keep(i)]
    everything = [i for s in statuses for i in incidents(db, who, s, 500)]
    ids = [i.id for i in shown]
    label = f.group if f.group in GROUPS else None
    ordered = sorted(shown, key=lambda i: i.labels.get(label) or "—") if label else shown
    return {
        "groups": [(k, list(v)) for k, v in groupby(ordered, key=lambda i: i.labels.get(label) or "—")]
        if label
        else [(None, shown)],
        "shown": len(shown),
        "clusters": sorted({i.labels["cluster"] for i in everything if i.labels.get("cluster")}),
        "suppliers": sorted({i.labels["supplier"] for i in everything if i.labels.get("supplier")}),
        "causes": causes(db, ids),
        "deliveries": deliveries(db, ids),
        "why": why_words,
        "f": f,
        "writer": who.role.can_write_inventory,
        "measures": alerts.measures(db) if not who.role.tenant_scoped else None,
        "live_s": LIVE_S,
        **CHOICES,
    }


FiltersDep = Annotated[Filters, Depends()]  # from the query string: ?status=&priority=&cluster=...


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, db: SessionDep, who: ViewerDep, f: FiltersDep) -> Response:
    if who is None:
        return render(request, "incidents.html", who)
    return render(request, "incidents.html", who, **context(db, who, f))


@router.get("/live/incidents", response_class=HTMLResponse)
def incidents_live(request: Request, db: SessionDep, who: ViewerDep, f: FiltersDep) -> Response:
    return render_part(request, "_incidents.html", who, **(context(db, who, f) if who else {}))
