"""The card page charts each metric against the period before, from the same figures as its table."""

from __future__ import annotations

import html
import json
import re

from fleetops.suppliers.thresholds import METRICS


def test_card_page_draws_a_trend_chart_per_metric(client, tokens):
    client.cookies.set("fleetops_token", tokens["acme"]["Authorization"].removeprefix("Bearer "))
    page = client.get("/scorecards/acme?days=7")
    assert page.status_code == 200
    assert "/static/vendor/uplot-1.6.32/uPlot.iife.min.js" in page.text
    charts = dict(re.findall(r'id="trend-(\w+)".*?data-chart=\'([^\']*)\'', page.text, re.S))
    assert list(charts) == list(METRICS)
    for spec in map(lambda raw: json.loads(html.unescape(raw)), charts.values()):
        assert spec["bars"] and len(spec["x"]) == 2 and spec["x"][1] - spec["x"][0] == 7 * 86_400
    presales = client.get("/scorecards/acme/export.html")
    assert "data-chart" not in presales.text and "<script" not in presales.text  # self-contained print page
