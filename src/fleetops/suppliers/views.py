"""Console `/scorecards`: every supplier's card (staff and sales), one supplier's card (a supplier sees its
own only), and the one-page presales export of a card as HTML, PDF and CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from fleetops.api.deps import SessionDep
from fleetops.api.types import Days
from fleetops.auth.principal import Principal
from fleetops.errors import FleetopsError, Forbidden, NotFound
from fleetops.suppliers import export
from fleetops.suppliers.scorecard import Period, Scorecard, scorecards, visible_suppliers
from fleetops.suppliers.thresholds import default_thresholds
from fleetops.web.charts import Chart, Series
from fleetops.web.errors import wants_page
from fleetops.web.views import ViewerDep, render, shown, templates

router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """A console page refused to its token (a sales token off the scorecards, `Principal.require_path` in
    the console's login dependency) is the console's 403 page; the API keeps its problem+json."""
    api_refused = app.exception_handlers[FleetopsError]

    async def refused(request: Request, exc: Exception) -> Response:
        if isinstance(exc, Forbidden) and wants_page(request):
            context = {"who": None, "status_code": 403, "error": exc.message, "back": "/scorecards"}
            return templates.TemplateResponse(request, "error.html", context, status_code=403)
        return await api_refused(request, exc)

    app.add_exception_handler(Forbidden, refused)


def _cards(db: Session, who: Principal, days: float, name: str | None = None) -> list[Scorecard]:
    suppliers = visible_suppliers(db, who, name)
    if name is not None and not suppliers:
        raise NotFound(f"supplier {name}: no such supplier")
    return scorecards(db, suppliers, Period.ending(days=days))


@router.get("/scorecards", response_class=HTMLResponse)
def scorecards_page(request: Request, db: SessionDep, who: ViewerDep, days: Days = 30) -> Response:
    def page(who: Principal) -> Response:
        cards = _cards(db, who, days)
        metrics = cards[0].metrics if cards else []
        period = Period.ending(days=days) if not cards else cards[0].period
        return render(request, "suppliers.html", who, cards=cards, metrics=metrics, period=period, days=days)

    return shown(request, who, page)


@router.get("/scorecards/export.csv")
def scorecards_csv(
    request: Request, db: SessionDep, who: ViewerDep, days: Days = 30, supplier: str | None = None
) -> Response:
    def csv(who: Principal) -> Response:
        body = export.as_csv(_cards(db, who, days, supplier))
        headers = {"Content-Disposition": 'attachment; filename="scorecards.csv"'}
        return Response(body, media_type="text/csv", headers=headers)

    return shown(request, who, csv)


def presales_html(card: Scorecard, days: float) -> str:
    """The one-page presales card, self-contained (inline styles, nothing fetched): the HTML export and
    the page Chromium prints to PDF, for the console and the API (`fleetops suppliers export`) alike."""
    context = {"card": card, "days": days, "thresholds": default_thresholds(), "standalone": True}
    return templates.get_template("suppliers_card.html").render(**context)


def trend_charts(card: Scorecard) -> list[tuple[str, Chart]]:
    """Per metric, this period against the one before, as two bars coloured by this period's rating."""
    x = [card.period.previous().start, card.period.start]
    return [
        (
            m.name,
            Chart(x, [Series(m.label, [m.before.value, m.now.value], m.rating.colour)], m.unit, bars=True),
        )
        for m in card.metrics
    ]


def _card(request: Request, who: Principal, card: Scorecard, days: float, standalone: bool) -> Any:
    if standalone:
        return presales_html(card, days)
    context = {"card": card, "days": days, "thresholds": default_thresholds(), "standalone": False}
    context["charts"] = trend_charts(card)
    return render(request, "suppliers_card.html", who, **context)


@router.get("/scorecards/{name}", response_class=HTMLResponse)
def card_page(request: Request, name: str, db: SessionDep, who: ViewerDep, days: Days = 30) -> Response:
    def page(who: Principal) -> Response:
        return _card(request, who, _cards(db, who, days, name)[0], days, False)

    return shown(request, who, page)


@router.get("/scorecards/{name}/export.html", response_class=HTMLResponse)
def card_html(request: Request, name: str, db: SessionDep, who: ViewerDep, days: Days = 30) -> Response:
    def page(who: Principal) -> Response:
        return HTMLResponse(_card(request, who, _cards(db, who, days, name)[0], days, True))

    return shown(request, who, page)


@router.get("/scorecards/{name}/export.pdf")
def card_pdf(request: Request, name: str, db: SessionDep, who: ViewerDep, days: Days = 30) -> Response:
    def pdf(who: Principal) -> Response:
        html = _card(request, who, _cards(db, who, days, name)[0], days, True)
        headers = {"Content-Disposition": f'attachment; filename="{name}-scorecard.pdf"'}
        return Response(export.as_pdf(html), media_type="application/pdf", headers=headers)

    return shown(request, who, pdf)
