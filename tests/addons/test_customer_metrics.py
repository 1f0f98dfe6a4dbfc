"""The console's metrics page (`/customer-metrics`) with a fake Prometheus beside the real client: every
chart query goes through the tenant proxy as the customer, the answer keeps only its series, staff pick
a customer and see what it sees, and the roles that have no series of their own are refused."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from fleetops.auth.choices import Role
from fleetops.errors import ExternalError
from fleetops.metrics_proxy import tenants, upstream
from tests.factories import token

PAGE = "/customer-metrics"


class GridPrometheus(upstream.FakePrometheus):
    """Answers a range query with one series per tenant on the query's own grid: initech's reads 5,
    umbrella's 99 (the proxy must drop it for initech), each labelled with its cluster."""

    def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        self.sent.append((path, params))
        grid = range(int(params["start"]), int(params["end"]) + 1, int(params["step"]))
        series = [
            {"metric": {"customer": c, "cluster": k}, "values": [[t, v] for t in grid]}
            for c, k, v in (("initech", "alpha", "5"), ("umbrella", "beta", "99"))
        ]
        return {"status": "success", "data": {"resultType": "matrix", "result": series}}


@pytest.fixture
def prometheus():
    fake = GridPrometheus()
    previous = upstream.use(fake)
    yield fake
    upstream.use(previous)


@pytest.fixture
def page(client, tokens):
    def get(who: str | dict[str, str], **params: str):
        headers = tokens[who] if isinstance(who, str) else who
        client.cookies.set("fleetops_token", headers["Authorization"].removeprefix("Bearer "))
        return client.get(PAGE, params=params)

    return get


def charts(text: str) -> dict[str, dict[str, Any]]:
    found = re.findall(
        r'<figure class="chart card" id="metric-([a-z]+)">.*?data-chart=\'([^\']*)\'', text, re.S
    )
    return {name: json.loads(html.unescape(data)) for name, data in found}


def values(chart: dict[str, Any]) -> set[float]:
    return {v for s in chart["series"] for v in s["values"] if v is not None}


def test_a_customer_sees_its_own_series_through_the_tenant_proxy(page, prometheus):
    got = page("initech")
    assert got.status_code == 200, got.text
    drawn = charts(got.text)
    assert set(drawn) == {"gpus", "coverage", "findings"}  # no advanced metrics yet
    assert [s["label"] for s in drawn["gpus"]["series"]] == ["Healthy", "Unhealthy (uncorrectable ECC)"]
    assert all(values(c) == {5.0} for c in drawn.values())  # umbrella's 99 never reaches initech's page
    queries = [params["query"] for _, params in prometheus.sent]
    assert queries and all('customer="initech"' in q and "umbrella" not in q for q in queries)
    assert 'id="metrics-advanced-off"' in got.text and "beta" not in got.text


def test_temperatures_power_and_ecc_follow_the_advanced_metrics_addon(client, tokens, page, prometheus):
    client.put(
        "/api/v1/addons/clusters/alpha/advanced-metrics", headers=tokens["initech"], json={"enabled": True}
    )
    drawn = charts(page("initech", window="1h").text)
    assert {"temperature", "power", "ecc"} <= set(drawn)
    assert [s["label"] for s in drawn["temperature"]["series"]] == ["alpha"]
    assert drawn["temperature"]["unit"] == "°C" and values(drawn["temperature"]) == {5.0}
    advanced = [p["query"] for _, p in prometheus.sent if "temperature" in p["query"]]
    assert advanced == [
        'max by (cluster)(fleetops_agent_gpu_temperature_celsius{cluster=~"alpha",customer="initech"})'
    ]
    assert all(int(p["step"]) == 15 for _, p in prometheus.sent[-len(drawn) :])  # 1 h in 240 points


def test_staff_pick_a_customer_and_see_what_it_sees(page, prometheus):
    got = page("viewer", customer="umbrella")
    assert got.status_code == 200
    assert "<option selected>umbrella</option>" in got.text and "<option>initech</option>" in got.text
    assert all(values(c) == {99.0} for c in charts(got.text).values())
    assert all('customer="umbrella"' in p["query"] for _, p in prometheus.sent)
    assert page("admin").status_code == 200  # the first customer by name when none is picked
    assert page("admin", customer="nobody").status_code == 404


def test_suppliers_sales_and_agents_are_refused(page, prometheus, fleet):
    assert page("acme").status_code == 403
    assert page({"Authorization": "Bearer " + token(fleet, Role.SALES)}).status_code == 403
    assert page({"Authorization": "Bearer " + token(fleet, Role.AGENT, node_id=1)}).status_code == 403
    assert prometheus.sent == []


def test_the_page_counts_once_against_the_customers_rate_limit(page, prometheus, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(tenants, "limit", lambda principal: asked.append(principal.actor))
    page("initech")
    page("viewer", customer="initech")  # staff are not charged
    assert len(asked) == 1 and len(prometheus.sent) == 2 * 5  # five lines a page, basic metrics only


def test_an_unreachable_prometheus_is_said_and_the_rest_shown(page, prometheus, monkeypatch):
    def down(path: str, params: dict[str, str]) -> dict[str, Any]:
        raise ExternalError("prometheus http://127.0.0.1:9: connection refused", retryable=True)

    monkeypatch.setattr(prometheus, "get", down)
    got = page("initech")
    assert got.status_code == 200 and 'id="metrics-unavailable"' in got.text
    assert 'id="metrics-cluster-alpha"' in got.text and charts(got.text) == {}


def test_an_unknown_window_is_refused(page, prometheus):
    got = page("initech", window="2y")
    assert got.status_code == 422 and "one of 15m, 1h, 6h, 24h, 7d" in got.text
