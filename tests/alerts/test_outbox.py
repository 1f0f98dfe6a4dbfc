"""Delivery through the real HTTP clients to a local receiver: payload shapes, retries, restarts, rates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from fleetops.adapters.jira import node_label
from fleetops.adapters.jira.client import JiraClient
from fleetops.adapters.pagerduty.client import PagerDutyClient
from fleetops.adapters.slack.client import SlackClient
from fleetops.alerts import models
from fleetops.alerts.notify import Notifiers
from fleetops.alerts.outbox import backoff
from fleetops.backends.settings import Notify
from fleetops.remediation.executors import Target
from fleetops.remediation.notices import PortNotices
from fleetops.wire import FaultOwner
from tests.alerts.fleet import finding, fleet
from tests.alerts.harness import Timeline, configured_notify
from tests.alerts.receiver import Receiver
from tests.factories import load


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def real_notifiers(secrets: Notify) -> Notifiers:
    return Notifiers(
        PagerDutyClient(timeout=2), SlackClient(timeout=2), JiraClient(token="t", timeout=2), secrets
    )


@pytest.fixture
def timeline(sqlite_database, manual_clock, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Timeline:
    load(sqlite_database, fleet(racks=11, per_rack=32))
    t = Timeline(sqlite_database, manual_clock)
    for r in t.routes.receivers:
        r.url = {"pagerduty": f"{receiver.url}/v2/enqueue", "jira": f"{receiver.url}/jira"}.get(r.kind, r.url)
    t.secrets = configured_notify({k: f"{receiver.url}/slack/{k}" for k in ("acme", "initech")})
    t.rules.classification.per_cluster = {"alpha": 0.05}
    return t


def tick(t: Timeline, seconds: int, notifiers: Notifiers | None = None) -> None:
    from fleetops.alerts import service

    for _ in range(seconds):
        t.clock.advance(1)
        service.tick(t.database, t.routes, notifiers or real_notifiers(t.secrets))


def tor(t: Timeline) -> list:
    return [
        finding(f"a03n{n:02d}", "gpu_unreachable", FaultOwner.UNKNOWN, t.clock.now(), gpu=g)
        for n in range(32)
        for g in range(8)
    ]


def test_documented_payloads_reach_each_receiver(timeline: Timeline, receiver: Receiver) -> None:
    timeline.push(tor(timeline))
    tick(timeline, 60)
    assert receiver.invalid == []
    assert [e["event_action"] for e in receiver.pagerduty] == ["trigger"]
    assert receiver.pagerduty[0]["payload"]["severity"] == "critical"
    assert len(receiver.jira) == 1 and len(receiver.slack["/slack/acme"]) == 1


def test_receiver_down_then_back_nothing_lost_same_dedup_key(timeline: Timeline, receiver: Receiver) -> None:
    receiver.down = True
    timeline.push(tor(timeline))
    tick(timeline, 120)
    assert receiver.pagerduty == [] and receiver.requests >= 6  # retried, backing off
    with timeline.database.transaction() as session:
        attempts = session.scalars(select(models.Outbox.attempts)).all()
    assert all(a >= 2 for a in attempts) and max(attempts) < 10  # backoff, not a tight loop
    receiver.down = False
    tick(timeline, 400)
    assert (
        len(receiver.pagerduty) == 1 and len(receiver.jira) == 1 and len(receiver.slack["/slack/acme"]) == 1
    )
    assert receiver.pagerduty[0]["dedup_key"].startswith("fleetops-incident-")
    assert timeline.measures()["outbox"] == {"pending": 0, "delivered": 3, "failed": 0}


def test_outbox_survives_a_restart(timeline: Timeline, receiver: Receiver) -> None:
    """Messages written before a crash are delivered by a fresh worker (new clients, new sessions)."""
    receiver.down = True
    timeline.push(tor(timeline))
    tick(timeline, 30)
    timeline.database.dispose()  # the process dies: connections and in-memory clients are gone
    receiver.down = False
    tick(timeline, 300, real_notifiers(timeline.secrets))
    assert len(receiver.pagerduty) == 1 and len(receiver.jira) == 1


def test_a_400_is_not_retried(
    timeline: Timeline, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeline.push(tor(timeline))
    timeline.secrets.routing_keys["oncall-pager"] = SecretStr("")
    tick(timeline, 120)
    with timeline.database.transaction() as session:
        row = session.scalars(select(models.Outbox).where(models.Outbox.kind == "pagerduty")).one()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "routing_key" in (row.last_error or "")


def test_jira_is_searched_before_an_issue_is_created(timeline: Timeline, receiver: Receiver) -> None:
    """If the issue was created but the answer lost, the retry finds it instead of opening a second."""
    timeline.push(tor(timeline))
    tick(timeline, 60)
    with timeline.database.transaction() as session:
        session.execute(
            models.Outbox.__table__.update().values(status="pending", next_attempt_at=timeline.clock.now())
        )
    tick(timeline, 5)
    assert len(receiver.jira) == 1


def test_jira_issue_is_closed_through_its_done_transition_with_the_comment(receiver: Receiver) -> None:
    """The transition id is looked up (it differs per workflow); a closed issue gets the comment alone."""
    jira, base = JiraClient(token="t", timeout=2), f"{receiver.url}/jira"
    key = jira.create_issue(base, {"project": {"key": "SUP"}, "summary": "s", "issuetype": {"name": "Task"}})
    jira.close_issue(base, key, "folded into rack incident #8 (dfw1/r03)")
    assert receiver.jira_closed == {key: "folded into rack incident #8 (dfw1/r03)"}
    jira.close_issue(base, key, "again")
    assert receiver.jira_comments == {key: ["again"]} and receiver.invalid == []


def test_slack_is_rate_limited_per_webhook(timeline: Timeline, receiver: Receiver) -> None:
    timeline.push(
        [finding(f"a{r:02d}n00", "oom", FaultOwner.APPLICATION, timeline.clock.now()) for r in range(6)]
    )
    timeline.clock.advance(40)
    from fleetops.alerts import service

    # flush: 6 customer messages queued
    service.tick(timeline.database, timeline.routes, real_notifiers(timeline.secrets))
    assert len(receiver.slack.get("/slack/initech", [])) == 1
    tick(timeline, 2)
    assert len(receiver.slack["/slack/initech"]) == 3
    tick(timeline, 10)
    assert len(receiver.slack["/slack/initech"]) == 6


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff(30) == 300


def test_a_worker_dying_mid_send_leaves_its_messages_to_the_next(
    timeline: Timeline, receiver: Receiver
) -> None:
    from fleetops.alerts import notify, outbox

    timeline.push(tor(timeline))
    timeline.clock.advance(40)
    with timeline.database.transaction() as session:
        notify.flush(session, timeline.routes, timeline.clock.now(), timeline.secrets)
    claimed = outbox._claim(timeline.database, timeline.routes, timeline.clock.now())  # then the worker dies
    assert len(claimed) == 3
    tick(timeline, 30)
    assert receiver.pagerduty == []  # leased: a second worker does not send them twice
    tick(timeline, 40)
    assert len(receiver.pagerduty) == 1 and len(receiver.jira) == 1


def test_a_remediation_run_takes_over_the_open_ticket_the_alert_path_opened_for_its_node(
    receiver: Receiver,
) -> None:
    """A fault ticketed by the alert path while a breaker held its run back: the run's RMA step finds the
    node's open ticket and follows it instead of opening a second one; a closed one is not taken over."""
    jira, base = JiraClient(token="t", timeout=2), f"{receiver.url}/jira"
    fields = {"project": {"key": "SUP"}, "summary": "XID 79", "issuetype": {"name": "Task"}}
    alert_ticket = jira.create_issue(base, fields | {"labels": ["fleetops", node_label("b001")]})
    notices = PortNotices(jira, SlackClient(timeout=2), PagerDutyClient(timeout=2), jira_url=base)
    target = Target(run_id=7, hostname="b001", node_id=4, gpu_index=2, reason="XID 79 on GPU 2")
    assert notices.open_ticket(target, "rma", target.reason, "fleetops-remediation-7") == alert_ticket
    assert receiver.jira_comments[alert_ticket] == [
        "fleetops remediation run 7 follows this ticket: XID 79 on GPU 2"
    ]
    jira.close_issue(base, alert_ticket, "repaired")
    later = Target(run_id=9, hostname="b001", node_id=4, gpu_index=2, reason="XID 79 again")
    own = notices.open_ticket(later, "rma", later.reason, "fleetops-remediation-9")
    assert own != alert_ticket and node_label("b001") in receiver.jira[own]["labels"]
    assert len(receiver.jira) == 2 and receiver.invalid == []
