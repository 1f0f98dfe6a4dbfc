"""The tenant PromQL proxy with a fake Prometheus: what a customer's query becomes before it is sent,
what comes back, who may ask, how often, and the Grafana files a customer gets."""

from __future__ import annotations

import json

import pytest
import yaml

from fleetops.metrics_proxy import tenants, upstream
from fleetops.metrics_proxy.promql import QueryRefused, Tenant, enforce

QUERY = "/api/v1/prometheus/api/v1/query"
ADVANCED = "/api/v1/addons/clusters/alpha/advanced-metrics"
INITECH = Tenant("initech", ("alpha",))


@pytest.mark.parametrize(
    ("query", "sent"),
    [
        ('{customer=~".+"}', '{customer="initech",cluster=~"alpha"}'),
        (
            'fleetops_agent_gpus_visible{customer="umbrella"}',
            'fleetops_agent_gpus_visible{customer="initech"}',
        ),
        (
            'fleetops_agent_gpus_visible or {__name__=~"fleetops_agent.+"}',
            'fleetops_agent_gpus_visible{customer="initech"} or  '
            '{__name__=~"fleetops_agent.+",customer="initech",cluster=~"alpha"}',
        ),
        (
            'sum by (node) (rate(fleetops_agent_reports_delivered_total{customer!="initech"}[5m]))',
            'sum by (node)(rate(fleetops_agent_reports_delivered_total{customer="initech"}[5m]))',
        ),
        (
            "max_over_time(node_load1[10m:1m] offset 5m)",
            'max_over_time(node_load1{customer="initech",cluster=~"alpha"}[10m:1m] offset 5m)',
        ),
        ("vector(1)", "vector(1)"),
    ],
)
def test_every_selector_gets_the_tenant_matcher(query, sent):
    assert enforce(query, INITECH) == sent


@pytest.mark.parametrize(
    ("query", "why"),
    [
        (
            'label_replace(fleetops_agent_gpus_visible, "customer", "umbrella", "", "")',
            "may not write the customer",
        ),
        ('label_join(fleetops_agent_gpus_visible, "customer", ",", "node")', "may not write the customer"),
        ('{customer="umbrella" or node="b001"}', "`or` between matchers"),
        ("node_load1", "advanced-metrics add-on"),
        ("sum(", "not PromQL"),
        ('{customer=~".*"}', "not PromQL"),  # Prometheus refuses a selector that matches everything too
    ],
)
def test_what_cannot_be_confined_is_refused(query, why):
    tenant = Tenant("initech") if "node_load1" in query else INITECH
    with pytest.raises(QueryRefused, match=why):
        enforce(query, tenant)


def series(customer: str, node: str) -> dict:
    return {
        "metric": {"__name__": "fleetops_agent_gpus_visible", "customer": customer, "node": node},
        "value": [0, "8"],
    }


@pytest.fixture
def fake():
    made = upstream.FakePrometheus(
        [series("initech", "a000"), series("umbrella", "b000"), {"metric": {}, "value": [0, "16"]}]
    )
    previous = upstream.use(made)
    yield made
    upstream.use(previous)


def test_a_customer_query_is_rewritten_sent_and_its_answer_confined(client, tokens, fake):
    got = client.get(
        QUERY, headers=tokens["initech"], params={"query": "fleetops_agent_gpus_visible", "foo": "x"}
    )
    assert got.status_code == 200, got.text
    assert fake.sent == [("/api/v1/query", {"query": 'fleetops_agent_gpus_visible{customer="initech"}'})]
    assert [s["metric"].get("node") for s in got.json()["data"]["result"]] == ["a000", None]


def test_grafana_posts_a_form_and_a_range_query_works_the_same(client, tokens, fake):
    form = {"query": "sum(fleetops_agent_gpus_visible)", "start": "1", "end": "61", "step": "15"}
    got = client.post("/api/v1/prometheus/api/v1/query_range", headers=tokens["umbrella"], data=form)
    assert got.status_code == 200, got.text
    path, sent = fake.sent[-1]
    assert (
        path == "/api/v1/query_range"
        and sent["query"] == 'sum(fleetops_agent_gpus_visible{customer="umbrella"})'
    )
    assert sent["step"] == "15"


def test_staff_pass_through_and_other_tenant_roles_are_refused(client, tokens, fake):
    assert client.get(QUERY, headers=tokens["viewer"], params={"query": "up"}).status_code == 200
    assert fake.sent[-1][1]["query"] == "up"
    assert client.get(QUERY, headers=tokens["acme"], params={"query": "up"}).status_code == 403
    assert client.get(QUERY, params={"query": "up"}).status_code == 401


def test_advanced_series_follow_the_addon(client, tokens, fake):
    refused = client.get(QUERY, headers=tokens["initech"], params={"query": "node_load1"})
    assert refused.status_code == 422 and "advanced-metrics" in refused.json()["detail"]
    client.put(
        "/api/v1/addons/clusters/alpha/advanced-metrics", headers=tokens["initech"], json={"enabled": True}
    )
    assert client.get(QUERY, headers=tokens["initech"], params={"query": "node_load1"}).status_code == 200
    assert fake.sent[-1][1]["query"] == 'node_load1{customer="initech",cluster=~"alpha"}'


def test_a_token_over_its_rate_is_told_to_retry(client, tokens, fake, monkeypatch, manual_clock):
    monkeypatch.setattr(tenants, "_limiter", None)
    codes = [
        client.get(QUERY, headers=tokens["initech"], params={"query": "vector(1)"}).status_code
        for _ in range(7)
    ]
    assert codes == [200] * 5 + [429] * 2  # the default bucket: 5 a second
    assert client.get(QUERY, headers=tokens["umbrella"], params={"query": "vector(1)"}).status_code == 200
    manual_clock.advance(1)
    assert client.get(QUERY, headers=tokens["initech"], params={"query": "vector(1)"}).status_code == 200


def test_grafana_files_point_at_the_proxy_and_carry_no_token(client, tokens):
    files = client.get("/api/v1/prometheus/grafana", headers=tokens["initech"]).json()
    source = yaml.safe_load(files["provisioning/datasources/fleetops.yaml"])["datasources"][0]
    assert source["url"].endswith("/api/v1/prometheus") and "${FLEETOPS_TOKEN}" in str(source)
    assert "fo_" not in json.dumps(files)
    provider = yaml.safe_load(files["provisioning/dashboards/fleetops.yaml"])["providers"][0]
    assert provider["allowUiUpdates"] is True
    board = json.loads(files["dashboards/fleetops/initech.json"])
    assert board["editable"] and all("node_" not in p["targets"][0]["expr"] for p in board["panels"])
    assert client.get("/api/v1/prometheus/grafana", headers=tokens["viewer"]).status_code == 403


def _editable(client, tokens) -> tuple[bool, bool]:
    files = client.get("/api/v1/prometheus/grafana", headers=tokens["initech"]).json()
    provider = yaml.safe_load(files["provisioning/dashboards/fleetops.yaml"])["providers"][0]
    return json.loads(files["dashboards/fleetops/initech.json"])["editable"], provider["allowUiUpdates"]


def test_generated_dashboards_follow_the_addons_editable_setting(client, tokens):
    def put(body: dict) -> None:
        got = client.put(ADVANCED, headers=tokens["initech"], json=body)
        assert got.status_code == 200, got.text

    assert _editable(client, tokens) == (True, True)  # no cluster runs the add-on: its default
    put({"enabled": False, "settings": {"dashboards": {"editable": False}}})
    assert _editable(client, tokens) == (True, True)  # a cluster that does not run it decides nothing
    put({"enabled": True})
    assert _editable(client, tokens) == (False, False)
    put({"settings": {"dashboards": {"editable": True}}})
    assert _editable(client, tokens) == (True, True)
    put({"settings": {"dashboards": {}}})
    assert _editable(client, tokens) == (True, True)  # the schema's nested default


def test_a_1_0_0_cluster_locks_its_dashboards_with_grafana_editable(client, tokens):
    body = {"enabled": True, "version": "1.0.0", "settings": {"grafana_editable": False}}
    client.put(ADVANCED, headers=tokens["initech"], json=body)
    assert _editable(client, tokens) == (False, False)
    client.put(ADVANCED, headers=tokens["initech"], json={"version": "1.1.0"})
    assert _editable(client, tokens) == (False, False)  # moved to /dashboards/editable by the upgrade
