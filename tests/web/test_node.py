"""The node page an on-call engineer works from: by hostname, each GPU once, the run in flight said over
the lifecycle state, incidents, runs, audit, and the actions the role allows."""

from __future__ import annotations

import re

from fleetops.alerts import service as alerts
from fleetops.health import service as health
from fleetops.metrics_proxy import upstream
from tests.health.conftest import node_id
from tests.health.reports import body, report, xid
from tests.remediation.conftest import make_bed


def test_the_page_is_at_the_hostname_and_lists_each_gpu_once(client, as_role, fleet, tokens):
    sick = body(report("a000", xids=[xid(79, index=5)]))
    client.post("/api/v1/health/reports", content=sick, headers=tokens["admin"])
    page = as_role("viewer")
    html = page.get("/nodes/a000").text
    assert re.findall(r'<tr id="gpu-(\d)">', html) == [str(i) for i in range(8)]
    gpu5 = html.split('<tr id="gpu-5">')[1].split("</tr>")[0]
    assert "unhealthy" in gpu5 and "<td>79</td>" in gpu5 and "S-a000-5" in gpu5 and "<rect" in gpu5
    moved = page.get(f"/nodes/{node_id(fleet, 'a000')}", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/nodes/a000"


def test_an_unknown_or_foreign_hostname_is_a_friendly_404(as_role, fleet):
    for who, host in (("viewer", "nope"), ("umbrella", "a000"), ("globex", "a000")):
        answer = as_role(who).get(f"/nodes/{host}")
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
        assert f"node {host}: no such node" in answer.text and 'action="/search"' in answer.text


def test_a_run_resetting_a_gpu_is_said_over_the_ready_state(as_role, fleet, manual_clock):
    bed = make_bed(fleet, manual_clock)
    (run_id,) = bed.finding("a001", xid=48, gpu=3)
    bed.play(60)
    html = as_role("viewer").get("/nodes/a001").text
    run = bed.run(run_id)
    shown = re.search(r'id="active-run">(.*?)</a>', html, re.S)
    assert shown and f"remediation run #{run_id} {run.state.label.lower()}" in shown.group(1)
    assert "on GPU 3" in shown.group(1) and run.plan[run.step].replace("_", " ") in shown.group(1)
    assert f'<td class="num">{run_id}</td>' in html.split('id="node-runs"')[1]
    bed.engine.close()


def test_operators_cordon_from_the_page_and_customers_cannot(as_role, fleet):
    html = as_role("initech").get("/nodes/a002").text
    assert 'id="actions"' not in html
    refused = as_role("initech").post("/nodes/a002/cordon")
    assert refused.status_code == 403 and "Cannot do that" in refused.text
    page = as_role("operator")
    assert {"cordon", "drain", "qualify"} <= set(
        re.findall(r'id="action-(\w+)"', page.get("/nodes/a002").text)
    )
    done = page.post("/nodes/a002/cordon", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/nodes/a002"
    html = page.get("/nodes/a002").text
    assert 'id="node-state"' in html and ">Cordoned<" in html.split('id="node-state"')[1].split("</p>")[0]
    assert "node.update" in html.split('id="node-audit"')[1]
    assert page.post("/nodes/a002/cordon").status_code == 200  # already cordoned: nothing changes
    assert page.post("/nodes/a002/approve").status_code == 409


def test_the_node_lists_its_incidents(client, as_role, fleet, tokens):
    sick = body(report("a000", xids=[xid(79, index=2)]))
    client.post("/api/v1/health/reports", content=sick, headers=tokens["admin"])
    with fleet.transaction() as session:
        alerts.ingest_findings(session, health.open_findings(session))
    html = as_role("initech").get("/nodes/a000").text.split('id="node-incidents"')[1].split("</table>")[0]
    assert re.search(r'href="/incidents/\d+"', html)
    supplier = as_role("acme").get("/nodes/a000").text
    assert re.search(r'href="/incidents/\d+"', supplier.split('id="node-incidents"')[1].split("</table>")[0])


def _series(name: str, gpu: int, values: list[float]) -> dict:
    return {
        "metric": {"__name__": name, "node": "a000", "gpu": str(gpu), "uuid": f"GPU-a000-{gpu}"},
        "values": [[1_700_000_000 + 60 * i, str(v)] for i, v in enumerate(values)],
    }


def test_each_gpu_shows_its_last_telemetry_with_a_sparkline(as_role, fleet, prometheus):
    prometheus.series = [
        _series("fleetops_agent_gpu_temperature_celsius", 2, [60, 64, 71]),
        _series("fleetops_agent_gpu_power_watts", 2, [650, 655, 690]),
        _series("fleetops_agent_gpu_ecc_uncorrected_volatile", 2, [0, 0, 3]),
    ]
    html = as_role("initech").get("/nodes/a000").text
    gpu2 = html.split('<tr id="gpu-2">')[1].split("</tr>")[0]
    assert "71 °C" in gpu2 and "690 W" in gpu2 and '<span class="reading">3</span>' in gpu2
    assert '<polyline points="0.0,19.0 50.0,12.5 100.0,1.0"/>' in gpu2
    assert "°C" not in html.split('<tr id="gpu-1">')[1].split("</tr>")[0]  # nothing read for GPU 1
    ((path, params),) = prometheus.sent
    assert path == "/api/v1/query_range" and 'node="a000"' in params["query"]


def test_an_unreachable_prometheus_leaves_the_page_working(as_role, fleet):
    upstream.use(upstream.PrometheusClient("http://127.0.0.1:9", 1))
    html = as_role("viewer").get("/nodes/a000")
    assert html.status_code == 200 and 'id="telemetry-unavailable"' in html.text
    assert "prometheus http://127.0.0.1:9" in html.text
