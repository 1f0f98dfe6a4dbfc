"""`/metrics` as Prometheus reads it: a real scrape of a fleet at work passes `promtool check metrics`,
counters never go down between scrapes, queues show their backlog, and every request is counted."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from fleetops.api import metrics
from fleetops.api.metrics import HttpMeter
from fleetops.auth.principal import SYSTEM
from fleetops.deploy import service as deploy_service
from fleetops.deploy.backends import simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.plan import PlanRequest
from fleetops.flow import FaultOwner
from tests.alerts.fleet import finding
from tests.alerts.harness import Timeline
from tests.deploy.fleet import racked_fleet
from tests.factories import load
from tests.health.reports import body, report, xid
from tests.remediation.conftest import make_bed

REPORTS = "/api/v1/health/reports"
MONOTONIC = ("counter", "histogram")


class Fleet:
    """The two-tenant fleet with every worker's kind of work going on: agents reporting, a rollout, a
    remediation run, an incident paged; `step` moves it all a little further."""

    def __init__(self, database, clock, client, tokens) -> None:
        self.database, self.clock, self.client, self.tokens = database, clock, client, tokens
        load(database, racked_fleet(nodes=4, racks=1, cluster="gamma"))
        with database.transaction() as session:
            deploy_service.plan(session, SYSTEM, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
            deploy_service.start(session, SYSTEM, "r1")
        self.deploy = Engine(simulated_backends(), Limits(threads=1, rack_power_on_burst=2))
        self.bed = make_bed(database, clock)
        self.alerts = Timeline(database, clock)

    def report(self, *reports) -> None:
        sent = self.client.post(REPORTS, content=body(*reports), headers=self.tokens["admin"])
        assert sent.status_code == 200, sent.text

    def step(self, hostname: str) -> None:
        self.report(report(hostname, xids=[xid(79, index=2)]))
        self.bed.finding(hostname, xid=79)
        self.alerts.push([finding(hostname, "gpu_unreachable", FaultOwner.HARDWARE, self.clock.now(), gpu=2)])
        self.alerts.run_for(30)
        self.deploy.tick(self.database)
        self.bed.play(20 * 60)

    def scrape(self) -> str:
        answer = self.client.get("/metrics", headers=self.tokens["viewer"])
        assert answer.status_code == 200
        return answer.text

    def close(self) -> None:
        self.bed.engine.close()


@pytest.fixture
def busy(fleet, client, tokens, manual_clock, monkeypatch):
    monkeypatch.setattr(metrics, "HTTP", HttpMeter())  # this test's requests only
    made = Fleet(fleet, manual_clock, client, tokens)
    yield made
    made.close()


def samples(text: str, kinds: tuple[str, ...] | None = None) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        if kinds is None or family.type in kinds
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


def test_a_scrape_of_a_fleet_at_work_passes_promtool(busy):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed: `make test` installs Debian's prometheus package")
    busy.step("b001")
    text = busy.scrape()
    checked = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")
    # the families promtool judged are the ones with data, not empty shells
    assert value(text, "fleetops_remediation_mttr_seconds_count", fault_class="hardware") == 1
    assert value(text, "fleetops_alerts_time_to_notify_seconds_count") >= 1
    assert value(text, "fleetops_alerts_total", what="tickets_opened") == 1
    assert value(text, "fleetops_queue_failures_total", queue="alert_outbox") == 1  # no Slack hook set
    assert value(text, "fleetops_http_requests_total", method="POST", route=REPORTS, status="200") == 1
    # 20 minutes with no deploy worker: every bring-up waits, the oldest since the rollout started
    assert value(text, "fleetops_queue_depth", queue="deploy_bringups") == 4
    assert value(text, "fleetops_queue_lag_seconds", queue="deploy_bringups") > 20 * 60
    assert value(text, "process_cpu_seconds_total") > 0


def test_counters_and_histograms_never_go_down_while_work_happens(busy):
    before = busy.scrape()
    for hostname in ("b001", "a001", "b002"):
        busy.step(hostname)
    after = busy.scrape()
    grown = 0
    for key, earlier in samples(before, MONOTONIC).items():
        assert key in samples(after, MONOTONIC), f"{key} disappeared"
        assert samples(after, MONOTONIC)[key] >= earlier, f"{key} went down"
        grown += samples(after, MONOTONIC)[key] > earlier
    assert grown >= 20
    for name, labels in [
        ("fleetops_alerts_total", {"what": "alerts_in"}),
        ("fleetops_remediation_actions_total", {"action": "reboot_node", "outcome": "ok"}),
        ("fleetops_remediation_mttr_seconds_count", {"fault_class": "hardware"}),
    ]:
        assert value(after, name, **labels) > samples(before).get((name, tuple(labels.items())), 0)


def test_queue_depth_and_lag_show_work_no_worker_takes(busy):
    text = busy.scrape()
    assert value(text, "fleetops_queue_depth", queue="deploy_bringups") == 4
    assert value(text, "fleetops_queue_lag_seconds", queue="deploy_bringups") == 0
    busy.clock.advance(120)
    text = busy.scrape()
    assert value(text, "fleetops_queue_lag_seconds", queue="deploy_bringups") == 120
    busy.deploy.tick(busy.database)  # two power on (the rack's burst), two wait their turn
    text = busy.scrape()
    assert value(text, "fleetops_queue_depth", queue="deploy_bringups") == 2
    assert value(text, "fleetops_queue_depth", queue="remediation_runs") == 0


def test_requests_are_counted_by_route_template_including_the_report_post(busy):
    busy.report(report("a000"))
    assert busy.client.post(REPORTS, content=b"{", headers=busy.tokens["admin"]).status_code == 422
    assert busy.client.get("/api/v1/nodes/a000", headers=busy.tokens["viewer"]).status_code == 200
    assert busy.client.get("/api/v1/nodes/a001", headers=busy.tokens["viewer"]).status_code == 200
    assert busy.client.get("/no/such/page", headers=busy.tokens["viewer"]).status_code == 404
    text = busy.scrape()
    counted = "fleetops_http_requests_total"
    assert value(text, counted, method="POST", route=REPORTS, status="200") == 1
    assert value(text, counted, method="POST", route=REPORTS, status="422") == 1
    assert value(text, counted, method="GET", route="/api/v1/nodes/{key}", status="200") == 2
    assert value(text, counted, method="GET", route="unmatched", status="404") == 1
    timed = "fleetops_http_request_duration_seconds"
    assert value(text, f"{timed}_count", method="POST", route=REPORTS) == 2
    assert value(text, f"{timed}_bucket", method="POST", route=REPORTS, le="+Inf") == 2


def _requests(meter: HttpMeter) -> list[float]:
    return [s.value for f in meter.collect() if f.name == "fleetops_http_requests" for s in f.samples]


def test_api_processes_share_their_counts_and_keep_a_dead_ones(tmp_path):
    """Two processes of `serve --processes 2`: a scrape reaching either sees the requests of both within
    the sharing interval, and the counts of one that died stay in the total when it is replaced."""
    first, second = HttpMeter(), HttpMeter()
    first.share(tmp_path, "101", every_s=0.05)
    second.share(tmp_path, "102", every_s=0.05)
    first.observe("GET", "/api/v1/nodes", 200, 0.02)
    first.observe("GET", "/api/v1/nodes", 200, 0.3)
    second.observe("GET", "/api/v1/nodes", 200, 0.02)
    deadline = time.monotonic() + 5
    while _requests(second) != [3] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _requests(second) == [3]
    first.stop()  # died; the supervisor starts another
    replacement = HttpMeter()
    replacement.share(tmp_path, "103")
    assert _requests(replacement) == [3]
    buckets = {
        s.labels["le"]: s.value
        for f in replacement.collect()
        if f.name == "fleetops_http_request_duration_seconds"
        for s in f.samples
        if s.name.endswith("_bucket")
    }
    assert (buckets["0.025"], buckets["0.25"], buckets["0.5"], buckets["+Inf"]) == (2, 2, 3, 3)
    for meter in (second, replacement):
        meter.stop()
