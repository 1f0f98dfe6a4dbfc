"""Console `/security`: the posture dashboard (findings on their SLA clock, scan freshness, hardening and
its two goals) and the findings list with filters. Access review, incidents and emergency updates have
their pages beside their packages (`access/views.py`, `incidents/views.py`, `updates/views.py`).

Every number comes from the same service functions as the API, with the caller's scope: a customer or
supplier sees its own nodes' and clusters' rows only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.db.ids import as_id
from fleetops.security import hardening, measures, service
from fleetops.security.choices import FindingStatus, Scanner, Severity
from fleetops.security.models import SecurityFinding as F
from fleetops.security.scope import visible_to
from fleetops.web.charts import Chart, Series
from fleetops.web.trends import buckets
from fleetops.web.views import ViewerDep, render, shown

router = APIRouter(include_in_schema=False)
DAYS = 30
NEW_DEPLOYMENT_DAYS = 30
STALE_SHOWN = 20
# The seeds' hardening goals: "≥ 80 % of clusters hardened", "100 % of new deployments".
GOALS = {"clusters_hardened": 0.8, "new_deployments_hardened": 1.0}
CHARTED = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


def unfixed_per_day(session: Session, who: Principal, now: datetime) -> Chart:
    """Findings opened and not yet fixed at the end of each of the last DAYS days, per severity: one
    grouped query with a sum per day. A reopened finding counts from its latest opening."""
    day = timedelta(days=1)
    starts = buckets(now, day, DAYS)
    ends = [min(start + day, now) for start in starts]
    sums = [
        func.sum(case((and_(F.opened_at <= end, or_(F.fixed_at.is_(None), F.fixed_at > end)), 1), else_=0))
        for end in ends
    ]
    stmt = select(F.severity, *sums).where(F.severity.in_(CHARTED), F.opened_at <= now).group_by(F.severity)
    scope = visible_to(who, F.node_id, F.cluster_id)
    if scope is not None:
        stmt = stmt.where(scope)
    counts = {severity: [float(n or 0) for n in rest] for severity, *rest in session.execute(stmt)}
    series = [Series(s.label, counts.get(s, [0.0] * len(ends)), s.colour) for s in CHARTED]
    return Chart(starts, series)


def dashboard_context(session: Session, who: Principal) -> dict[str, Any]:
    now = clock.now()
    fresh = service.freshness(session, who)
    stale = [row for row in fresh if row["stale"]]
    goals = hardening.goals(session, who, now - timedelta(days=NEW_DEPLOYMENT_DAYS))
    return {
        "dashboard": measures.dashboard(session, who),
        "unfixed": unfixed_per_day(session, who, now),
        "nodes_scanned": len(fresh),
        "stale": stale[:STALE_SHOWN],
        "stale_count": len(stale),
        "clusters": goals["clusters"],
        "goals": goals,
        "targets": GOALS,
        "new_deployment_days": NEW_DEPLOYMENT_DAYS,
        "Severity": Severity,
    }


@router.get("/security", response_class=HTMLResponse)
def dashboard_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    def page(who: Principal) -> Response:
        return render(request, "security.html", who, **dashboard_context(db, who))

    return shown(request, who, page)


def _query(params: dict[str, str]) -> service.FindingQuery:
    """The filter form as the service's query; empty fields are no filter."""
    status = params.get("status", "open")
    cursor = params.get("cursor", "")
    return service.FindingQuery(
        open={"open": True, "closed": False}.get(status),
        overdue=params.get("overdue") == "on",
        severity=params.get("severity") or None,
        scanner=params.get("scanner") or None,
        node=params.get("node") or None,
        cluster=params.get("cluster") or None,
        check=params.get("check") or None,
        limit=100,
        cursor=as_id(cursor),
    )


@router.get("/security/findings", response_class=HTMLResponse)
def findings_page(request: Request, db: SessionDep, who: ViewerDep) -> Response:
    params = {k: v.strip() for k, v in request.query_params.items()}
    params.setdefault("status", "open")

    def page(who: Principal) -> Response:
        found = service.list_findings(db, who, _query(params))
        more = {k: v for k, v in params.items() if k != "cursor"} | {"cursor": found["next_cursor"]}
        return render(
            request,
            "security_findings.html",
            who,
            findings=found["items"],
            next_params=more if found["next_cursor"] else None,
            params=params,
            Severity=Severity,
            Scanner=Scanner,
            FindingStatus=FindingStatus,
        )

    return shown(request, who, page)
