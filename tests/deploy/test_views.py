"""The rollouts console as a person sees it: progress, the human queue, live updates, tenancy."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.deploy import service
from fleetops.deploy.backends import simulated_backends
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.models import Rollout
from fleetops.deploy.plan import PlanRequest
from fleetops.inventory.models import Customer
from tests.deploy.fleet import drive, racked_fleet
from tests.factories import load, token


def two_customer_fleet() -> dict[str, Any]:
    """Cluster gamma (initech) over pod sp1 and delta (umbrella) over pod sp2, four racked nodes each."""
    data = racked_fleet(nodes=4, racks=1)
    data["racks"].append({"name": "r01", "site": "dfw1", "pod": "sp2"})
    for node in copy.deepcopy(data["nodes"]):
        number = int(node["hostname"][1:]) + 4
        node |= {"hostname": f"n{number:05d}", "serial": f"SN-n{number:05d}", "rack": "r01"}
        node["bmc_address"] = f"https://bmc-{node['hostname']}"
        data["nodes"].append(node)
    data["customers"] = [{"name": "initech"}, {"name": "umbrella"}]
    data["contracts"] = [
        {
            "name": f"{c}-2026",
            "customer": c,
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "gpu_count": 32,
            "price_per_gpu_hour": 2.0,
        }
        for c in ("initech", "umbrella")
    ]
    gamma = data["clusters"][0] | {"customer": "initech", "contract": "initech-2026"}
    delta = gamma | {"name": "delta", "customer": "umbrella", "contract": "umbrella-2026"}
    data["clusters"] = [gamma, delta]
    return data


@pytest.fixture
def fleet(database, manual_clock):
    load(database, two_customer_fleet())
    with database.transaction() as session:
        for name, cluster, pod in (("r-gamma", "gamma", "sp1"), ("r-delta", "delta", "sp2")):
            request = PlanRequest(name, cluster, "ubuntu-22.04-gpu", "k8s-cis", pod=pod)
            service.plan(session, SYSTEM, request)
    return database


@pytest.fixture
def console(fleet) -> TestClient:
    return TestClient(create_app())


def _sign_in(console: TestClient, database, role: Role, **binding: int) -> None:
    console.cookies.set("fleetops_token", token(database, role, **binding))


def _start(database, name: str) -> None:
    with database.transaction() as session:
        service.start(session, SYSTEM, name)


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert found, f"#{element_id} is not on the page"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_operator_watches_a_rollout_go_from_planned_to_ready(console, fleet, manual_clock):
    _sign_in(console, fleet, Role.OPERATOR)
    page = console.get("/rollouts/r-gamma")
    assert page.status_code == 200
    assert _text(page.text, "ready-count") == "0" and _text(page.text, "count-enrolled") == "4"
    assert "fetch(url" in page.text and "/rollouts/r-gamma/live" in page.text  # it refreshes itself
    _start(fleet, "r-gamma")
    engine = Engine(simulated_backends(), Limits(threads=1))
    engine.tick(fleet)
    midway = console.get("/rollouts/r-gamma/live").text
    assert "<html" not in midway and _text(midway, "ready-count") == "0"
    assert "Powering on" in midway.split('id="transitions"')[1] and "admitted" in midway
    drive(fleet, engine, manual_clock)
    done = console.get("/rollouts/r-gamma/live").text
    with fleet.transaction() as session:
        status = service.status(session, "r-gamma")
    assert status["ready"] == 4 and status["state"] == "completed"
    assert _text(done, "ready-count") == str(status["ready"])
    assert _text(done, "gpus-ready") == "32 / 32" and 'data-state="completed"' in done
    assert _text(done, "share-human") == "0.0%"
    assert 'id="rack-grid"' in done and "data-node=" not in done  # four green nodes in one run
    assert '<i class="green" style="flex-grow:4">' in done


def test_rollouts_list_shows_state_progress_and_rates(console, fleet, manual_clock):
    _start(fleet, "r-gamma")
    drive(fleet, Engine(simulated_backends(), Limits(threads=1)), manual_clock)
    _sign_in(console, fleet, Role.VIEWER)
    page = console.get("/rollouts").text
    gamma = page.split('id="rollout-r-gamma"')[1].split("</tr>")[0]
    delta = page.split('id="rollout-r-delta"')[1].split("</tr>")[0]
    assert "Completed" in gamma and "4 / 4" in gamma and 'class="green" style="width: 100.00%"' in gamma
    assert "Planned" in delta and "0 / 4" in delta and 'class="grey" style="width: 100.00%"' in delta
    assert 'http-equiv="refresh"' in page  # r-delta is still planned: the list keeps itself fresh


def test_nodes_the_engine_gave_up_on_are_queued_with_reason_and_evidence(console, fleet, manual_clock):
    _start(fleet, "r-gamma")
    broken = simulated_backends(failure_rate=1.0, persistent_share=1.0, seed=1)
    drive(fleet, Engine(broken, Limits(threads=1)), manual_clock)
    _sign_in(console, fleet, Role.OPERATOR)
    page = console.get("/rollouts/r-gamma").text
    queue = page.split('id="needs-human"')[1].split("</table>")[0]
    with fleet.transaction() as session:
        waiting = service.needs_human(session, "r-gamma")
    assert len(waiting) == 4
    for entry in waiting:
        assert entry["hostname"] in queue
    assert "simulated failure" in queue and "escalate" in queue  # the reason and the recovery evidence
    grid = page.split('id="rack-grid"')[1]
    assert sorted(re.findall(r'<i class="red" data-node="(\w+)">', grid)) == sorted(
        e["hostname"] for e in waiting
    )
    assert _text(page, "share-human") == "100.0%" and _text(page, "count-needs_human") == "4"


def test_customer_sees_only_its_clusters_rollouts_and_others_answer_404(console, fleet):
    with fleet.transaction() as session:
        initech = session.scalar(select(Customer.id).where(Customer.name == "initech"))
    _sign_in(console, fleet, Role.CUSTOMER, customer_id=initech)
    page = console.get("/rollouts").text
    assert 'id="rollout-r-gamma"' in page and "r-delta" not in page
    assert console.get("/rollouts/r-gamma").status_code == 200
    assert console.get("/rollouts/r-delta").status_code == 404
    assert console.get("/rollouts/r-delta/live").status_code == 404
    assert console.get("/rollouts/no-such").status_code == 404
    with fleet.transaction() as session:
        ids = {r.name: r.id for r in session.scalars(select(Rollout))}
    by_id = console.get(f"/rollouts/{ids['r-gamma']}", follow_redirects=False)
    assert by_id.status_code == 303 and by_id.headers["location"] == "/rollouts/r-gamma"
    assert console.get(f"/rollouts/{ids['r-delta']}").status_code == 404


def test_operator_starts_pauses_and_aborts_from_the_console(console, fleet):
    _sign_in(console, fleet, Role.OPERATOR)
    planned = console.get("/rollouts/r-gamma").text
    assert 'id="action-start"' in planned and 'id="action-pause"' not in planned
    refused = console.post("/rollouts/r-gamma/resume")
    assert refused.status_code == 409  # the API would let `resume` skip `start`'s checks: not here
    assert _text(refused.text, "error") == "rollout r-gamma: field state: cannot resume a planned rollout"
    for verb, state in (
        ("start", "running"),
        ("pause", "paused"),
        ("resume", "running"),
        ("abort", "aborted"),
    ):
        done = console.post(f"/rollouts/r-gamma/{verb}", follow_redirects=False)
        assert done.status_code == 303, done.text
        with fleet.transaction() as session:
            assert service.get_rollout(session, "r-gamma").state == state
    assert 'id="actions"' not in console.get("/rollouts/r-gamma").text  # nothing left to do


def test_viewers_and_tenants_cannot_act_on_rollouts(console, fleet):
    _sign_in(console, fleet, Role.VIEWER)
    assert 'id="action-start"' not in console.get("/rollouts/r-gamma").text
    assert console.post("/rollouts/r-gamma/start").status_code == 403
    with fleet.transaction() as session:
        initech = session.scalar(select(Customer.id).where(Customer.name == "initech"))
    _sign_in(console, fleet, Role.CUSTOMER, customer_id=initech)
    assert console.post("/rollouts/r-delta/start").status_code == 404
    assert console.post("/rollouts/r-gamma/start").status_code == 403
    assert console.post("/rollouts/r-gamma/explode").status_code == 404
    with fleet.transaction() as session:
        assert {service.get_rollout(session, n).state for n in ("r-gamma", "r-delta")} == {"planned"}


def test_operator_plans_a_rollout_in_the_console_and_a_wrong_plan_is_refused(console, fleet):
    with fleet.transaction() as session:
        service.abort(session, SYSTEM, "r-gamma")  # its nodes may be planned again
    _sign_in(console, fleet, Role.OPERATOR)
    form = {"name": "r-again", "cluster": "gamma", "image": "", "profile": "k8s-cis", "pod": "sp1"}
    refused = console.post("/rollouts", data=form)
    assert refused.status_code == 422
    assert "field image: missing" in _text(refused.text, "error")
    assert 'value="r-again"' in refused.text  # the form keeps what was typed
    planned = console.post("/rollouts", data=form | {"image": "ubuntu-22.04-gpu"}, follow_redirects=False)
    assert planned.status_code == 303 and planned.headers["location"] == "/rollouts/r-again"
    with fleet.transaction() as session:
        status = service.status(session, "r-again")
    assert status["state"] == "planned" and status["counts"]["enrolled"] == 4


def test_viewers_see_no_plan_form_and_cannot_plan(console, fleet):
    _sign_in(console, fleet, Role.VIEWER)
    assert 'id="plan"' not in console.get("/rollouts").text
    form = {"name": "r-x", "cluster": "gamma", "image": "img", "profile": "k8s-cis", "pod": "sp1"}
    assert console.post("/rollouts", data=form).status_code == 403
    with fleet.transaction() as session:
        assert len(service.list_rollouts(session)) == 2


def test_signed_out_visitor_is_sent_to_sign_in(console):
    for url in ("/rollouts", "/rollouts/r-gamma", "/rollouts/r-gamma/live"):
        answer = console.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
