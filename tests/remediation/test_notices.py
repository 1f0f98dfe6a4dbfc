"""Supplier tickets, customer messages and pages through the shared notification ports (their fakes)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pydantic import SecretStr

from fleetops.adapters.jira.fake import FakeJira
from fleetops.adapters.pagerduty.fake import FakePagerDuty
from fleetops.adapters.slack.fake import FakeSlack
from fleetops.errors import ExternalError
from fleetops.remediation.executors import Target
from fleetops.remediation.notices import PortNotices

TARGET = Target(
    run_id=7,
    hostname="b001",
    node_id=4,
    gpu_index=2,
    cluster="beta",
    supplier="globex",
    customer="initech",
    reason="XID 79 on b001 GPU 2",
)


def _notices() -> PortNotices:
    return PortNotices(
        FakeJira(),
        FakeSlack(),
        FakePagerDuty(),
        jira_url="https://jira.example",
        projects={"globex": "GLBX", "*": "RMA"},
        routing_key="R1",
        webhooks={"initech": SecretStr("https://hooks.example/T1")},
    )


def test_rma_ticket_goes_to_the_suppliers_project_once():
    notices = _notices()
    first = notices.open_ticket(TARGET, "rma", TARGET.reason, "fleetops-remediation-7")
    again = notices.open_ticket(TARGET, "rma", TARGET.reason, "fleetops-remediation-7")  # a resumed step
    assert first == again == "GLBX-1"
    fields = notices.ticketer.issues["GLBX-1"]
    assert fields["summary"].startswith("[rma] b001") and "fleetops-remediation-7" in fields["labels"]


def test_ticket_failures_surface_as_retryable_errors():
    notices = _notices()
    notices.ticketer.fail_next(503)
    with pytest.raises(ExternalError) as error:
        notices.open_ticket(TARGET, "rma", "x", "fleetops-remediation-8")
    assert error.value.retryable


def test_customer_message_uses_its_own_webhook_and_pages_carry_a_dedup_key():
    notices = _notices()
    notices.tell_customer(TARGET, "XID 13: your job hit an application fault", "k")
    assert notices.chat.count() == 1 and "https://hooks.example/T1" in notices.chat.messages
    notices.tell_customer(replace(TARGET, customer="umbrella"), "no webhook for this customer", "k2")
    assert notices.chat.count() == 1
    notices.page("breaker tripped", "breaker-cluster-2")
    [event] = notices.pager.triggers()
    assert event["dedup_key"] == "breaker-cluster-2" and event["routing_key"] == "R1"


def test_new_evidence_is_a_comment_on_the_same_ticket():
    notices = _notices()
    ticket = notices.open_ticket(TARGET, "rma", TARGET.reason, "fleetops-remediation-7")
    notices.tell_supplier(ticket, "b001", ("2026-12-06 04:00 UTC: XID 48 on GPU 5",))
    assert notices.ticketer.comments[ticket] == [
        "fleetops: seen on b001 since:\n- 2026-12-06 04:00 UTC: XID 48 on GPU 5"
    ]
    assert list(notices.ticketer.issues) == [ticket]
