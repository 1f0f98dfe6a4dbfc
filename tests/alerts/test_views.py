"""The incidents console as a person sees it: incidents, where they went and why, acknowledging, tenancy."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fleetops.alerts import models
from fleetops.alerts.views import plain_words
from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.inventory.models import Customer, Supplier
from fleetops.wire import FaultOwner
from tests.alerts.fleet import finding
from tests.alerts.harness import Timeline
from tests.factories import bearer, load, token, two_tenant_fleet


@pytest.fixture
def timeline(database, manual_clock, monkeypatch: pytest.MonkeyPatch) -> Timeline:
    load(database, two_tenant_fleet(nodes_per_cluster=4))
    return Timeline(database, manual_clock)


@pytest.fixture
def console(timeline: Timeline) -> TestClient:
    return TestClient(create_app())


def _sign_in(console: TestClient, timeline: Timeline, role: Role, **binding: int) -> None:
    console.cookies.set("fleetops_token", token(timeline.database, role, **binding))


def _xid_and_oom(timeline: Timeline) -> dict[str, int]:
    """An XID 79 on alpha's a001 (supplier ticket) and a job OOM on beta's b001 (customer channel)."""
    now = timeline.clock.now()
    timeline.push([finding("a001", "xid", FaultOwner.HARDWARE, now, gpu=3, xid=79)])
    timeline.push([finding("b001", "oom", FaultOwner.CUSTOMER, now)])
    timeline.run_for(60)
    with timeline.database.transaction() as session:
        rows = session.execute(select(models.Alert.labels["node"].as_string(), models.Alert.incident_id))
        return dict(rows.all())


def _row(page: str, incident_id: int) -> str:
    found = re.search(rf'<tr id="incident-{incident_id}">(.*?)</tr>', page, re.S)
    assert found, f"incident {incident_id} is not on the page"
    return found.group(1)


def test_operator_sees_open_incidents_where_they_went_and_the_scorecard(console, timeline):
    homes = _xid_and_oom(timeline)
    _sign_in(console, timeline, Role.OPERATOR)
    page = console.get("/incidents")
    assert page.status_code == 200
    xid = _row(page.text, homes["a001"])
    assert "P2 single node or GPU fault" in xid and "xid 79" in xid and "a001" in xid
    assert "supplier-tickets" in xid and "Delivered" in xid and "root.routes" in xid
    oom = _row(page.text, homes["b001"])
    assert "oom" in oom and "customer" in oom and "P3" in oom
    measures = timeline.measures()
    assert f'id="tickets-opened">{measures["tickets_opened"]}<' in page.text
    assert measures["tickets_opened"] == 1
    assert 'id="pages-sent">0<' in page.text and 'id="page-reduction">100.0%<' in page.text
    assert 'id="time-to-notify">30 s · 30 s<' in page.text  # the group wait of the default tree


def test_open_incidents_by_default_resolved_ones_on_asking(console, timeline):
    homes = _xid_and_oom(timeline)
    timeline.push([finding("b001", "oom", FaultOwner.CUSTOMER, timeline.clock.now(), resolved=True)])
    _sign_in(console, timeline, Role.VIEWER)
    open_part = console.get("/incidents").text
    resolved_part = console.get("/incidents", params={"status": "resolved"}).text
    assert f'id="incident-{homes["a001"]}"' in open_part and f'id="incident-{homes["b001"]}"' not in open_part
    assert f'id="incident-{homes["b001"]}"' in resolved_part and "Resolved" in resolved_part


def test_incident_page_shows_alerts_timeline_notifications_and_acknowledges(console, timeline):
    homes = _xid_and_oom(timeline)
    _sign_in(console, timeline, Role.OPERATOR)
    url = f"/incidents/{homes['a001']}"
    page = console.get(url).text
    alerts = page.split('id="alerts"')[1].split("</table>")[0]
    assert "xid 79" in alerts and "a001" in alerts and "/explain" in alerts
    notifications = page.split('id="notifications"')[1].split("</table>")[0]
    assert "supplier-tickets" in notifications and "supplier-slack" in notifications
    assert "a single node or GPU is never P0" in page.split('id="timeline"')[1]
    assert 'id="acknowledge"' in page and "not yet" in page
    done = console.post(f"{url}/acknowledge", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == url
    again = console.get(url).text
    assert 'id="acknowledge"' not in again and "not yet" not in again
    assert "acknowledged by operator:" in again.split('id="timeline"')[1]


def test_viewer_sees_no_acknowledge_button_and_cannot_post_one(console, timeline):
    homes = _xid_and_oom(timeline)
    _sign_in(console, timeline, Role.VIEWER)
    url = f"/incidents/{homes['a001']}"
    assert 'id="acknowledge"' not in console.get(url).text
    assert console.post(f"{url}/acknowledge", follow_redirects=False).status_code == 403
    with timeline.database.transaction() as session:
        assert session.get(models.Incident, homes["a001"]).acknowledged_at is None


def test_explanation_says_why_not_paged_in_plain_words(console, timeline):
    _xid_and_oom(timeline)
    with timeline.database.transaction() as session:
        alert_id = session.scalar(select(models.Alert.id).where(models.Alert.alertname == "xid"))
    _sign_in(console, timeline, Role.VIEWER)
    page = console.get(f"/alerts/{alert_id}/explain").text
    verdict = page.split('id="verdict">')[1].split("</p>")[0]
    assert verdict.startswith("Not paged because incident #") and "is P2" in verdict
    assert "supplier-tickets" in verdict
    assert "because node fault: a single node or GPU is never P0" in page


def test_explanation_says_why_paged_when_half_a_cluster_is_down(console, timeline):
    now = timeline.clock.now()
    timeline.push([finding(h, "node_silent", FaultOwner.UNKNOWN, now) for h in ("a000", "a001")])
    timeline.run_for(90)
    assert len(timeline.pager.triggers()) == 1
    with timeline.database.transaction() as session:
        alert_id = session.scalar(select(models.Alert.id).where(models.Alert.alertname == "node_silent"))
    _sign_in(console, timeline, Role.OPERATOR)
    page = console.get(f"/alerts/{alert_id}/explain").text
    verdict = page.split('id="verdict">')[1].split("</p>")[0]
    assert verdict.startswith("Paged because incident #") and "P0" in verdict
    assert 'class="verdict paged"' in page
    assert 'id="pages-sent">1<' in console.get("/incidents").text


def _verdict(page: str) -> str:
    return page.split('id="verdict">')[1].split("</p>")[0]


def test_a_notification_that_could_not_be_sent_is_explained_with_its_reason(console, timeline):
    """beta's supplier (globex) has no Slack webhook and Jira refuses the ticket: routed is not heard."""
    timeline.jira.fail_next(400)
    timeline.push([finding("b001", "xid", FaultOwner.HARDWARE, timeline.clock.now(), gpu=2, xid=79)])
    timeline.run_for(60)
    with timeline.database.transaction() as session:
        alert_id = session.scalar(select(models.Alert.id).where(models.Alert.alertname == "xid"))
    reasons = [
        "supplier-slack trigger failed: receiver supplier-slack has no webhook for supplier=globex in "
        "[fleetops.notify.webhooks]",
        "supplier-tickets trigger failed: jira answered 400",
    ]
    viewer = bearer(token(timeline.database, Role.VIEWER))
    found = console.get(f"/api/v1/alerts/{alert_id}/explain", headers=viewer).json()
    assert sorted(found["undelivered"]) == reasons
    assert all(reason in found["verdict"] for reason in reasons)
    _sign_in(console, timeline, Role.VIEWER)
    page = console.get(f"/alerts/{alert_id}/explain").text
    verdict = _verdict(page)
    assert verdict.startswith("Not paged because incident #") and "; not delivered: " in verdict
    assert all(reason in verdict for reason in reasons)
    messages = page.split('id="messages"')[1].split("</table>")[0]
    assert "no webhook for supplier=globex" in messages and "jira answered 400" in messages


def test_a_page_that_failed_is_not_called_paged(console, timeline):
    timeline.pager.fail_next(400)
    now = timeline.clock.now()
    timeline.push([finding(h, "node_silent", FaultOwner.UNKNOWN, now) for h in ("a000", "a001")])
    timeline.run_for(90)
    with timeline.database.transaction() as session:
        alert_id = session.scalar(select(models.Alert.id).where(models.Alert.alertname == "node_silent"))
    _sign_in(console, timeline, Role.OPERATOR)
    verdict = _verdict(console.get(f"/alerts/{alert_id}/explain").text)
    assert (
        verdict.startswith("Not paged because incident #")
        and "is P0, but its page is not delivered" in verdict
    )
    assert "oncall-pager trigger failed: pagerduty answered 400" in verdict


def test_customer_sees_only_its_clusters_incidents_and_others_answer_404(console, timeline):
    homes = _xid_and_oom(timeline)
    with timeline.database.transaction() as session:
        initech = session.scalar(select(Customer.id).where(Customer.name == "initech"))
        beta_alert = session.scalar(select(models.Alert.id).where(models.Alert.alertname == "oom"))
        alpha_alert = session.scalar(select(models.Alert.id).where(models.Alert.alertname == "xid"))
    _sign_in(console, timeline, Role.CUSTOMER, customer_id=initech)
    page = console.get("/incidents").text
    assert f'id="incident-{homes["a001"]}"' in page
    assert f'id="incident-{homes["b001"]}"' not in page and "b001" not in page
    assert 'id="measures"' not in page  # the fleet-wide scorecard is for staff
    assert console.get(f"/incidents/{homes['a001']}").status_code == 200
    assert 'id="acknowledge"' not in console.get(f"/incidents/{homes['a001']}").text
    assert console.get(f"/incidents/{homes['b001']}").status_code == 404
    assert console.get(f"/incidents/{homes['b001'] + 1000}").status_code == 404
    assert console.post(f"/incidents/{homes['b001']}/acknowledge").status_code == 404
    assert console.get(f"/alerts/{beta_alert}/explain").status_code == 404
    assert console.get(f"/alerts/{alpha_alert}/explain").status_code == 200


def test_supplier_sees_the_incidents_of_its_clusters(console, timeline):
    homes = _xid_and_oom(timeline)
    with timeline.database.transaction() as session:
        globex = session.scalar(select(Supplier.id).where(Supplier.name == "globex"))
    _sign_in(console, timeline, Role.SUPPLIER, supplier_id=globex)
    page = console.get("/incidents").text
    assert f'id="incident-{homes["b001"]}"' in page and f'id="incident-{homes["a001"]}"' not in page
    assert console.get(f"/incidents/{homes['a001']}").status_code == 404


def test_signed_out_visitor_is_sent_to_sign_in(console, timeline):
    for url in ("/incidents", "/incidents/1", "/alerts/1/explain"):
        answer = console.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_plain_words():
    def said(verdict: str, **incident: object) -> str:
        return plain_words({"verdict": verdict, "incident": incident or None})

    assert (
        said("paged: incident #3 is P0 (x)", disposition="notified") == "Paged because incident #3 is P0 (x)"
    )
    assert said("not paged: suppressed, silence", disposition="suppressed") == (
        "Not paged because suppressed, silence"
    )
    waiting = said(
        "not paged: incident #4 is P0, routed to oncall", id=4, priority="P0", disposition="pending"
    )
    assert waiting.startswith("Not paged yet because incident #4 is P0 and waits for its group timer")
    assert said("not correlated into an incident") == "Not correlated into an incident"
