"""A real Prometheus scraping the agent, node-exporter and the control plane of a simulated two-tenant
node set, queried through fleetops' tenant proxy: a customer gets its own series and nothing of the
other tenant's, however the query is written (a hypothesis fuzz of label-injection queries), and every
panel of its generated Grafana dashboard returns data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetops.metrics_proxy import dashboards, tenants, upstream
from fleetops.metrics_proxy.promql import Tenant
from fleetops.observability.budget import over_budget
from tests.factories import two_tenant_fleet
from tests.integration.prometheus_bed import MISSING, NODE_EXPORTER, PROMETHEUS, Bed, prometheus_bed

pytestmark = [pytest.mark.integration, pytest.mark.skipif(not (PROMETHEUS and NODE_EXPORTER), reason=MISSING)]
QUERY = "/api/v1/prometheus/api/v1/query"
HOSTS = {f"a{i:03d}": 40.0 for i in range(3)} | {f"b{i:03d}": 80.0 for i in range(3)}  # initech runs cool


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bed]:
    with prometheus_bed(
        tmp_path_factory.mktemp("prometheus"), two_tenant_fleet(3), HOSTS, ["a000", "b000"]
    ) as made:
        yield made


@pytest.fixture
def proxied(bed: Bed, client, tokens, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bed]:
    monkeypatch.setattr(tenants, "limit", lambda principal: None)  # the fuzz asks faster than 5/s
    previous = upstream.use(upstream.PrometheusClient(bed.url, 10))
    client.put(
        "/api/v1/addons/clusters/alpha/advanced-metrics", headers=tokens["initech"], json={"enabled": True}
    )
    yield bed
    upstream.use(previous)


def ask(client, tokens, who: str, query: str):
    return client.get(QUERY, headers=tokens[who], params={"query": query})


def test_each_customer_reads_its_own_gpus_and_nothing_else(proxied, client, tokens):
    for who, prefix, hot in (("initech", "a", False), ("umbrella", "b", True)):
        got = ask(client, tokens, who, "fleetops_agent_gpu_temperature_celsius")
        assert got.status_code == 200, got.text
        result = got.json()["data"]["result"]
        assert len(result) == 24  # 3 nodes x 8 GPUs
        assert {s["metric"]["customer"] for s in result} == {who}
        assert all(s["metric"]["node"].startswith(prefix) for s in result)
        assert all((float(s["value"][1]) >= 80) is hot for s in result)
    staff = proxied.query("count(fleetops_agent_gpu_temperature_celsius)")
    assert staff[0]["value"][1] == "48"  # both tenants are really there


ATTACKS = [
    'customer="umbrella"',
    'customer=~".+"',
    'customer!="initech"',
    'customer=~"initech|umbrella"',
    'node=~"b.*"',
    'cluster="beta"',
    'exported_customer="umbrella"',
    '__name__=~"fleetops_agent.+"',
]
NAMES = ["fleetops_agent_gpu_temperature_celsius", "fleetops_agent_gpus_visible", "node_load1", "up", ""]
SHAPES = [
    "{s}",
    "sum by (customer, node) ({s})",
    "count by (customer, cluster) ({s})",
    "{s} or {other}",
    'label_replace({s}, "customer", "umbrella", "", "")',
    'label_replace({s}, "node", "b001", "", "")',
    "max_over_time({s}[1m])",
    "{s} + on(node) group_left() ({other} * 0)",
    "topk(100, {s})",
]


@st.composite
def injections(draw) -> str:
    def selector() -> str:
        name = draw(st.sampled_from(NAMES))
        matchers = draw(st.lists(st.sampled_from(ATTACKS), min_size=0 if name else 1, max_size=3))
        return f"{name}{{{','.join(matchers)}}}"

    return draw(st.sampled_from(SHAPES)).format(s=selector(), other=selector())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=injections())
def test_label_injection_never_returns_a_series_of_another_tenant(proxied, client, tokens, query):
    got = ask(client, tokens, "initech", query)
    if got.status_code == 422:  # refused, naming why: nothing was sent
        assert got.json()["detail"].startswith(("query:", "prometheus refused"))
        return
    assert got.status_code == 200, got.text
    for series in got.json()["data"]["result"]:
        labels = series["metric"]
        assert labels.get("customer", "initech") == "initech", (query, labels)
        assert labels.get("cluster", "alpha") == "alpha", (query, labels)
        assert not labels.get("node", "a").startswith("b") or "label_replace" in query, (query, labels)
        if labels.get("__name__") == "fleetops_agent_gpu_temperature_celsius":
            assert float(series["value"][1]) < 60, (query, series)  # umbrella's GPUs run at 80 °C and up


def test_every_dashboard_panel_returns_data_through_the_proxy(proxied, client, tokens):
    tenant = Tenant("initech", ("alpha",))
    panels = dashboards.panels(tenant)
    assert any(p.advanced for p in panels)
    for panel in panels:
        got = ask(client, tokens, "initech", panel.expr)
        assert got.status_code == 200, (panel.title, got.text)
        assert got.json()["data"]["result"], f"{panel.title}: {panel.expr} returned nothing"
    board = client.get("/api/v1/prometheus/grafana", headers=tokens["initech"]).json()
    assert len(board) == 3 and "dashboards/fleetops/initech.json" in board


def test_a_range_query_comes_back_as_the_customers_matrix(proxied, client, tokens):
    now = float(proxied.get("/api/v1/query", query="time()")["result"][1])
    params = {
        "query": "sum by (node) (fleetops_agent_gpu_power_watts)",
        "start": now - 30,
        "end": now,
        "step": 5,
    }
    got = client.post("/api/v1/prometheus/api/v1/query_range", headers=tokens["umbrella"], data=params)
    assert got.status_code == 200, got.text
    data = got.json()["data"]
    assert data["resultType"] == "matrix" and {s["metric"]["node"] for s in data["result"]} == {
        "b000",
        "b001",
        "b002",
    }


def test_every_exporter_stays_within_its_cardinality_budget(bed):
    tsdb = bed.get("/api/v1/status/tsdb")
    pairs = {p["name"]: p["value"] for p in tsdb["seriesCountByLabelValuePair"]}
    series = {job: float(bed.query(f'count({{job="{job}"}})')[0]["value"][1]) for job in bed.jobs}
    assert series["node"] == pairs["job=node"]  # the status page and the query agree
    assert sum(series.values()) == tsdb["headStats"]["numSeries"]
    cpus = float(bed.query('count(count by (cpu) (node_cpu_seconds_total{node="a000"}))')[0]["value"][1])
    assert over_budget(series, bed.jobs, cpus) == []
    assert over_budget(series | {"agent": series["agent"] * 2}, bed.jobs, cpus)  # the budget can fail
