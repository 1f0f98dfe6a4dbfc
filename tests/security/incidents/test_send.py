"""Customer notices sent for real: rendered, queued in the alerts outbox (one message per customer, all
or none), delivered by the outbox worker over HTTP to the local receiver standing in for Slack, retried
when it is down; the webhook per customer comes from the settings, never from a row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from fleetops.adapters.jira.fake import FakeJira
from fleetops.adapters.pagerduty.fake import FakePagerDuty
from fleetops.adapters.slack.client import SlackClient
from fleetops.alerts import policy
from fleetops.alerts import service as alerts
from fleetops.alerts.models import Outbox
from fleetops.alerts.notify import Notifiers
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.backends.settings import Notify
from fleetops.config import Settings
from fleetops.errors import InvalidInput, NotFound
from fleetops.security.incidents import notices, send, service
from fleetops.security.incidents.choices import Notice, Priority
from tests.alerts.receiver import Receiver
from tests.factories import bearer, token

OPERATOR = Principal(Role.OPERATOR, "otto")
SECURITY = Principal(Role.SECURITY, "sam")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def webhooks(receiver: Receiver, *customers: str) -> Notify:
    hooks = {name: f"{receiver.url}/slack/{name}" for name in customers}
    return Notify.model_validate({"webhooks": {"customer-slack": hooks}})


def deliver(database, secrets: Notify) -> int:
    """The worker's `alerts.deliver` task, with the real Slack client."""
    notifiers = Notifiers(FakePagerDuty(), SlackClient(timeout=2), FakeJira(), secrets)
    return alerts.tick(database, policy.default_routes(), notifiers)


def declared(database, who: Principal = OPERATOR, **fields) -> str:
    with database.transaction() as session:
        row = service.declare(session, who, "Leaked kubeconfig", Priority.P1, **fields)
        return row.key


def outbox_rows(database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Outbox)) or 0


def test_a_notice_reaches_each_customers_slack_through_the_outbox(fleet, receiver, manual_clock):
    key = declared(fleet, customers="Initech, Umbrella")
    secrets = webhooks(receiver, "initech", "umbrella")
    with fleet.transaction() as session:
        text = notices.render(session, OPERATOR, key, Notice.FIRST_NOTICE)
        queued = send.send(session, OPERATOR, key, Notice.FIRST_NOTICE, secrets=secrets)
        assert {(q["customer"], q["status"]) for q in queued} == {
            ("initech", "pending"),
            ("umbrella", "pending"),
        }
        destinations = session.scalars(select(Outbox.destination)).all()
        assert sorted(destinations) == ["slack:customer-slack/initech", "slack:customer-slack/umbrella"]
    assert deliver(fleet, secrets) == 2
    assert receiver.slack["/slack/initech"] == [{"text": text}]
    assert receiver.slack["/slack/umbrella"] == [{"text": text}]
    assert text.startswith(f"Subject: [P1] Security incident {key}") and "Dear Initech, Umbrella," in text
    with fleet.transaction() as session:
        incident = service.get(session, OPERATOR, key)
        assert {s["status"] for s in send.sent(session, incident)} == {"delivered"}
        [event] = [e for e in service.timeline(session, incident) if e.kind == "notice"]
        assert event.text == "First notice sent to initech, umbrella" and event.actor == "operator:otto"


def test_a_customer_without_a_webhook_stops_the_whole_send(fleet, receiver):
    key = declared(fleet, customers="initech, umbrella")
    with fleet.transaction() as session, pytest.raises(InvalidInput) as refused:
        send.send(session, OPERATOR, key, Notice.FIRST_NOTICE, secrets=webhooks(receiver, "initech"))
    assert (
        "customer=umbrella" in refused.value.message and "[fleetops.notify.webhooks]" in refused.value.message
    )
    with fleet.transaction() as session, pytest.raises(InvalidInput, match="no customer named hooli"):
        send.send(
            session, OPERATOR, key, Notice.UPDATE, ["initech", "hooli"], secrets=webhooks(receiver, "initech")
        )
    assert outbox_rows(fleet) == 0
    with fleet.transaction() as session:
        kinds = [e.kind for e in service.timeline(session, service.get(session, OPERATOR, key))]
        assert "notice" not in kinds


def test_a_receiver_that_is_down_gets_the_notice_later(fleet, receiver, manual_clock):
    key = declared(fleet, customers="initech")
    secrets = webhooks(receiver, "initech")
    with fleet.transaction() as session:
        send.send(session, OPERATOR, key, Notice.UPDATE, secrets=secrets)
    receiver.down = True
    assert deliver(fleet, secrets) == 0
    receiver.down = False
    manual_clock.advance(3)  # past the first backoff (2 s)
    assert deliver(fleet, secrets) == 1
    assert len(receiver.slack["/slack/initech"]) == 1
    with fleet.transaction() as session:
        [row] = send.sent(session, service.get(session, OPERATOR, key))
        assert row["attempts"] == 2 and row["status"] == "delivered"


def test_a_confidential_notice_is_sent_only_by_security(fleet, receiver):
    key = declared(fleet, SECURITY, customers="initech", confidential=True)
    secrets = webhooks(receiver, "initech")
    with fleet.transaction() as session, pytest.raises(NotFound):
        send.send(session, OPERATOR, key, Notice.FIRST_NOTICE, secrets=secrets)
    with fleet.transaction() as session:
        assert len(send.send(session, SECURITY, key, Notice.FIRST_NOTICE, secrets=secrets)) == 1


def test_the_api_and_the_console_send_with_the_settings_webhooks(
    client, tokens, fleet, receiver, monkeypatch, manual_clock
):
    configured = Settings.model_validate({"notify": webhooks(receiver, "initech").model_dump()})
    monkeypatch.setattr(policy, "settings", lambda: configured)
    key = declared(fleet, customers="initech")
    answer = client.post(
        f"/api/v1/security/incidents/{key}/notices/first_notice/send", json={}, headers=tokens["operator"]
    )
    assert answer.status_code == 201, answer.text
    assert [(r["customer"], r["status"]) for r in answer.json()] == [("initech", "pending")]
    refused = client.post(
        f"/api/v1/security/incidents/{key}/notices/update/send",
        json={"customers": ["umbrella"]},
        headers=tokens["operator"],
    )
    assert refused.status_code == 422 and "customer=umbrella" in refused.json()["detail"]
    assert (
        client.post(
            f"/api/v1/security/incidents/{key}/notices/update/send", json={}, headers=tokens["viewer"]
        ).status_code
        == 403
    )
    client.cookies.set(
        "fleetops_token", bearer(token(fleet, Role.SECURITY))["Authorization"].removeprefix("Bearer ")
    )
    sent = client.post(
        f"/security/incidents/{key}/notices/update/send",
        data={"customers": "initech"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    page = client.get(f"/security/incidents/{key}").text
    assert page.count('<tr data-customer="initech" data-status="pending">') == 2
    assert deliver(fleet, configured.notify) == 1  # one message a second per webhook (Slack's limit)
    manual_clock.advance(1)
    assert deliver(fleet, configured.notify) == 1
    assert [m["text"].split("\n")[0] for m in receiver.slack["/slack/initech"]] == [
        f"Subject: [P1] Security incident {key}: Leaked kubeconfig",
        f"Subject: [P1] Update on security incident {key}: Leaked kubeconfig",
    ]
