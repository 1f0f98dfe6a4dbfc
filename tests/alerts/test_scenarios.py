"""The issue's scenarios as timelines on a ManualClock with the adapters' fakes."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Node
from fleetops.wire import FaultOwner
from tests.alerts.fleet import finding, fleet
from tests.alerts.harness import CUSTOMER_HOOK, SUPPLIER_HOOK, Timeline
from tests.factories import load, two_tenant_fleet


@pytest.fixture
def timeline(database, manual_clock, monkeypatch: pytest.MonkeyPatch) -> Timeline:
    load(database, fleet(racks=11, per_rack=32, decommissioned=True))
    return Timeline(database, manual_clock)


def _tor_failure(t: Timeline, rack: int = 3) -> list:
    now = t.clock.now()
    return [
        finding(f"a{rack:02d}n{n:02d}", "gpu_unreachable", FaultOwner.UNKNOWN, now, gpu=g)
        for n in range(32)
        for g in range(8)
    ]


def test_tor_switch_failure_is_one_incident_one_supplier_ticket_no_page(timeline: Timeline) -> None:
    timeline.push(_tor_failure(timeline))
    timeline.run_for(120)
    open_incidents = [i for i in timeline.incidents() if i.status == "open"]
    assert [(i.scope, i.alert_count, i.node_count, i.priority) for i in open_incidents] == [
        ("rack", 256, 32, "P1")
    ]
    assert len(timeline.jira.issues) == 1
    assert next(iter(timeline.jira.issues.values()))["project"]["key"] == "SUP"
    assert timeline.pager.events == []
    assert len(timeline.slack.messages[SUPPLIER_HOOK]) == 1
    description = next(iter(timeline.jira.issues.values()))["description"]
    assert "- a03n00 GPU 0: gpu_unreachable" in description and "- and 236 more alerts" in description


def test_tor_switch_failure_pages_when_it_crosses_the_cluster_threshold(timeline: Timeline) -> None:
    timeline.rules.classification.per_cluster = {"alpha": 0.05}  # 32 of 352 nodes = 9% >= 5%
    timeline.push(_tor_failure(timeline))
    timeline.run_for(120)
    assert len(timeline.pager.triggers()) == 1
    assert timeline.pager.triggers()[0]["payload"]["severity"] == "critical"


def test_tor_alerts_arriving_node_by_node_still_make_one_incident(timeline: Timeline) -> None:
    findings = _tor_failure(timeline)
    for start in range(0, len(findings), 8):
        timeline.push(findings[start : start + 8])
        timeline.clock.advance(0.5)
    timeline.run_for(120)
    assert len([i for i in timeline.incidents() if i.status == "open"]) == 1
    assert len(timeline.jira.issues) == 1
    assert timeline.pager.events == []


def test_single_xid_79_is_one_supplier_ticket_and_forward_no_page(timeline: Timeline) -> None:
    timeline.push([finding("a01n05", "xid", FaultOwner.HARDWARE, timeline.clock.now(), gpu=3, xid=79)])
    timeline.run_for(60)
    assert len(timeline.jira.issues) == 1
    ticket = next(iter(timeline.jira.issues.values()))
    assert "owner-hardware" in ticket["labels"] and "a01n05" in ticket["summary"]
    assert timeline.pager.events == []
    assert len(timeline.slack.messages[SUPPLIER_HOOK]) == 1
    assert "owner hardware" in timeline.slack.messages[SUPPLIER_HOOK][0]["text"]


def test_supplier_ticket_and_forward_name_the_xid_and_the_gpu(timeline: Timeline) -> None:
    """The supplier swaps a part from the ticket alone: which XID (number and catalog name), which GPU."""
    uuid = "GPU-5f0c9a3e-41d2-8b7e-2c4f-9d1a6e3b7c20"
    now = timeline.clock.now()
    timeline.push([finding("a01n05", "xid", FaultOwner.HARDWARE, now, gpu=3, xid=79, gpu_uuid=uuid)])
    timeline.run_for(60)
    (ticket,) = timeline.jira.issues.values()
    fault = (
        f"a01n05 GPU 3 ({uuid}): XID 79 ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS: GPU has fallen off the bus"
    )
    assert f"- {fault}" in ticket["description"].splitlines()
    assert "XID 79 ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS" in ticket["summary"]
    (forward,) = timeline.slack.messages[SUPPLIER_HOOK]
    assert "XID 79" in forward["text"]
    assert any(fault in block["text"]["text"] for block in forward["blocks"])


@pytest.mark.parametrize(("check", "xid"), [("xid", 13), ("xid", 31), ("xid", 43), ("oom", None)])
def test_customer_fault_goes_to_the_customer_channel_only(
    timeline: Timeline, check: str, xid: int | None
) -> None:
    timeline.push([finding("a02n01", check, FaultOwner.APPLICATION, timeline.clock.now(), gpu=0, xid=xid)])
    timeline.run_for(60)
    assert len(timeline.slack.messages[CUSTOMER_HOOK]) == 1
    assert timeline.slack.messages[SUPPLIER_HOOK] == []
    assert timeline.jira.issues == {}
    assert timeline.pager.events == []


def test_half_a_cluster_unreachable_pages_once_and_resolves(timeline: Timeline) -> None:
    half = [f"a{r:02d}n{n:02d}" for r in range(6) for n in range(32)]  # 192 of 352 nodes
    for _ in range(5):  # the same alerts repeat every 30 s
        timeline.push([finding(h, "node_silent", FaultOwner.UNKNOWN, timeline.clock.now()) for h in half])
        timeline.run_for(30)
    triggers = timeline.pager.triggers()
    assert len(triggers) == 1
    key = triggers[0]["dedup_key"]
    assert timeline.measures()["pages_sent"] == 1
    timeline.push(
        [finding(h, "node_silent", FaultOwner.UNKNOWN, timeline.clock.now(), resolved=True) for h in half]
    )
    timeline.run_for(120)
    resolves = [e for e in timeline.pager.events if e["event_action"] == "resolve"]
    assert [e["dedup_key"] for e in resolves] == [key]
    assert timeline.pager.open == {}


def test_decommissioned_cluster_never_pages_or_tickets(timeline: Timeline) -> None:
    for _ in range(3):
        timeline.push(
            [
                finding(f"old{n:02d}", "node_silent", FaultOwner.UNKNOWN, timeline.clock.now())
                for n in range(8)
            ]
        )
        timeline.run_for(60)
    assert timeline.pager.events == [] and timeline.jira.issues == {} and timeline.slack.count() == 0
    suppressed = timeline.measures()["suppressed_alerts_by_reason"]
    assert suppressed == {"cluster old is decommissioned": 8}


def test_receiver_down_is_retried_with_the_same_dedup_key_and_nothing_lost(timeline: Timeline) -> None:
    timeline.rules.classification.per_cluster = {"alpha": 0.05}
    timeline.pager.fail_next(503, 503, 429, 502)
    timeline.jira.fail_next(500)
    timeline.push(_tor_failure(timeline))
    timeline.run_for(300)
    assert len(timeline.pager.triggers()) == 1
    assert timeline.pager.triggers()[0]["dedup_key"].startswith("fleetops-incident-")
    assert len(timeline.jira.issues) == 1
    assert timeline.measures()["outbox"] == {"pending": 0, "delivered": 3, "failed": 0}


def test_acknowledging_a_page_tells_pagerduty_under_the_same_key(timeline: Timeline) -> None:
    from fleetops.alerts import service

    half = [f"a{r:02d}n{n:02d}" for r in range(6) for n in range(32)]
    timeline.push([finding(h, "node_silent", FaultOwner.UNKNOWN, timeline.clock.now()) for h in half])
    timeline.run_for(30)
    with timeline.database.transaction() as session:
        service.acknowledge(session, timeline.incidents()[0].id, "operator:alice")
    timeline.run_for(2)
    assert [e["event_action"] for e in timeline.pager.events] == ["trigger", "acknowledge"]
    assert len({e["dedup_key"] for e in timeline.pager.events}) == 1
    assert timeline.measures()["time_to_ack_s"]["median"] == 30


def test_node_under_remediation_is_suppressed_not_dropped(timeline: Timeline) -> None:
    from tests.factories import make_node

    load(timeline.database, {"nodes": [make_node("a05n05", rack="r05", position=5, state="repair")]})
    timeline.push([finding("a05n05", "xid", FaultOwner.HARDWARE, timeline.clock.now(), gpu=1, xid=79)])
    timeline.run_for(60)
    assert timeline.jira.issues == {} and timeline.slack.count() == 0
    (incident,) = timeline.incidents()
    assert (incident.disposition, incident.reason) == (
        "suppressed",
        "node a05n05 is under remediation (repair)",
    )


def test_rack_outage_mutes_the_node_alerts_beneath_it(timeline: Timeline) -> None:
    timeline.push(_tor_failure(timeline))
    timeline.push([finding("a03n04", "oom", FaultOwner.APPLICATION, timeline.clock.now())])
    timeline.run_for(60)
    muted = [i for i in timeline.incidents() if i.scope == "node"]
    assert [(i.disposition, i.reason.startswith("muted by wider incident #")) for i in muted] == [
        ("inhibited", True)
    ]
    assert timeline.slack.messages[CUSTOMER_HOOK] == []


def test_maintenance_window_suppresses_with_its_reason(timeline: Timeline) -> None:
    from datetime import timedelta

    from fleetops.alerts import service
    from fleetops.alerts.schemas import SilenceCreate

    with timeline.database.transaction() as session:
        service.create_silence(
            session,
            "operator:bob",
            SilenceCreate(
                kind="maintenance",
                matchers=['rack="dfw1/r03"'],
                comment="ToR firmware upgrade",
                ends_at=timeline.clock.now() + timedelta(hours=2),
            ),
        )
    timeline.push(_tor_failure(timeline))
    timeline.run_for(60)
    assert timeline.jira.issues == {} and timeline.pager.events == []
    assert timeline.measures()["suppressed_alerts_by_reason"] == {"maintenance window": 256}
    (incident,) = timeline.incidents()
    assert incident.reason.endswith(": ToR firmware upgrade")


def test_measures_show_page_reduction_and_export_to_prometheus(timeline: Timeline) -> None:
    from fleetops.alerts.metrics import alert_metrics

    timeline.rules.classification.per_cluster = {"alpha": 0.05}
    timeline.push(_tor_failure(timeline))
    timeline.run_for(60)
    measures = timeline.measures()
    assert (measures["alerts_distinct"], measures["pages_sent"], measures["tickets_opened"]) == (256, 1, 1)
    assert measures["page_reduction"] == 1 - 1 / 256
    assert measures["time_to_notify_s"]["median"] == 10  # the P0 group_wait
    with timeline.database.transaction() as session:
        families = {m.name: m for m in alert_metrics(session)}
    pages = [s.value for s in families["fleetops_alerts"].samples if s.labels["what"] == "pages_sent"]
    assert pages == [1.0]


def test_rack_alerts_slower_than_the_group_wait_fold_into_the_rack_incident_and_close_node_tickets(
    timeline: Timeline,
) -> None:
    """A rack whose nodes fail a minute apart: each early node is ticketed alone (group_wait 30 s); at the
    rack rule's 8th node (4 nodes and 25 % of 32) they fold into one rack incident and their supplier
    tickets and forwards are closed, naming the rack incident that carries on."""
    for n in range(8):
        node_tickets = dict(timeline.jira.issues)
        now = timeline.clock.now()
        timeline.push([finding(f"a03n{n:02d}", "gpu_unreachable", FaultOwner.UNKNOWN, now, gpu=0)])
        timeline.run_for(60)
    assert len(node_tickets) == 7  # n00..n06 were ticketed before the rack rule was met
    timeline.run_for(300)  # the folded groups speak at their next group_interval
    incidents = timeline.incidents()
    (rack,) = [i for i in incidents if i.status == "open"]
    assert (rack.scope, rack.node_count, rack.priority) == ("rack", 8, "P1")
    folded = [i for i in incidents if i.status == "merged"]
    assert len(folded) == 7 and {i.merged_into_id for i in folded} == {rack.id}
    closed = timeline.jira.closed()
    assert sorted(closed) == sorted(node_tickets)
    note = f"folded into rack incident #{rack.id} (dfw1/r03)"
    assert all(len(comments) == 1 and note in comments[0] for comments in closed.values())
    assert len(timeline.jira.issues) == 8 and rack.id not in {i.id for i in folded}
    forwards = timeline.slack.messages[SUPPLIER_HOOK]
    assert len([m for m in forwards if m["text"].startswith(f"FOLDED ({note})")]) == 7
    assert timeline.pager.events == []
    timeline.run_for(3600)
    assert len(timeline.jira.closed()) == 7 and len(timeline.slack.messages[SUPPLIER_HOOK]) == 7 + 7 + 1


def _spread(count: int) -> list[str]:
    """`count` nodes dealt across the 11 racks, at most 4 per rack: no rack incident can form."""
    return [f"a{i % 11:02d}n{i // 11:02d}" for i in range(count)]


HARDWARE_FAULTS = [("xid", 48), ("xid", 79), ("xid", 64), ("ecc_uncorrectable", None), ("nvlink_down", None)]


def test_unrelated_hardware_faults_on_a_tenth_of_a_cluster_do_not_page(timeline: Timeline) -> None:
    """36 of 352 nodes (10.2 %) each with a fault of its own kind is bad luck, not a cluster degradation."""
    now = timeline.clock.now()
    faults = [
        finding(host, check, FaultOwner.HARDWARE, now, gpu=i % 8, xid=xid)
        for i, host in enumerate(_spread(36))
        for check, xid in [HARDWARE_FAULTS[i % len(HARDWARE_FAULTS)]]
    ]
    timeline.push(faults)
    timeline.run_for(120)
    assert timeline.pager.events == []
    incidents = timeline.incidents()
    assert {(i.scope, i.priority) for i in incidents} == {("node", "P2")} and len(incidents) == 36


def test_one_fault_on_a_tenth_of_a_cluster_pages_as_a_cluster_degradation(timeline: Timeline) -> None:
    now = timeline.clock.now()
    timeline.push([finding(h, "xid", FaultOwner.HARDWARE, now, gpu=1, xid=79) for h in _spread(36)])
    timeline.run_for(120)
    (incident,) = timeline.incidents()
    assert (incident.scope, incident.priority, incident.node_count) == ("cluster", "P0", 36)
    (page,) = timeline.pager.triggers()
    assert "XID 79 ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS" in page["payload"]["summary"]


def test_a_tree_routing_on_alertname_sends_the_resolve_where_the_trigger_went(timeline: Timeline) -> None:
    from fleetops.alerts.policy import Route

    timeline.routes.route.routes = [Route(matchers=['alertname="oom"'], receiver="customer-slack")]
    timeline.push([finding("a02n01", "oom", FaultOwner.APPLICATION, timeline.clock.now())])
    timeline.run_for(60)
    timeline.push([finding("a02n01", "oom", FaultOwner.APPLICATION, timeline.clock.now(), resolved=True)])
    timeline.run_for(360)
    texts = [m["text"] for m in timeline.slack.messages[CUSTOMER_HOOK]]
    assert len(texts) == 2 and texts[1].startswith("RESOLVED ")


def test_a_node_remediation_took_before_the_group_flushed_gets_no_second_ticket(timeline: Timeline) -> None:
    """Routing decides at once, the group waits 30 s; if remediation drained the node meanwhile, its run
    owns the fault (it tickets the supplier if its ladder gets there): no alert ticket beside it."""
    timeline.push([finding("a01n05", "xid", FaultOwner.HARDWARE, timeline.clock.now(), gpu=3, xid=79)])
    timeline.run_for(5)
    with timeline.database.transaction() as session:
        session.execute(update(Node).where(Node.hostname == "a01n05").values(state=NodeState.DRAINING))
    timeline.run_for(60)
    assert timeline.jira.issues == {} and timeline.slack.messages[SUPPLIER_HOOK] == []
    [incident] = timeline.incidents()
    assert incident.disposition == "suppressed" and "under remediation (draining)" in incident.reason


def test_a_flapping_gpu_is_one_incident_and_one_ticket(timeline: Timeline) -> None:
    """A fault that clears and returns within the flap window reopens its incident: same page, same
    ticket, not one per episode."""
    for _ in range(3):
        now = timeline.clock.now()
        timeline.push([finding("a01n05", "xid", FaultOwner.HARDWARE, now, gpu=3, xid=79)])
        timeline.run_for(120)
        timeline.push(
            [
                finding(
                    "a01n05", "xid", FaultOwner.HARDWARE, timeline.clock.now(), gpu=3, xid=79, resolved=True
                )
            ]
        )
        timeline.run_for(600)
    incidents = timeline.incidents()
    assert len(incidents) == 1
    assert len(timeline.jira.issues) == 1


def test_a_fault_back_after_the_flap_window_is_a_new_incident(timeline: Timeline) -> None:
    timeline.push([finding("a01n05", "xid", FaultOwner.HARDWARE, timeline.clock.now(), gpu=3, xid=79)])
    timeline.run_for(120)
    timeline.push(
        [finding("a01n05", "xid", FaultOwner.HARDWARE, timeline.clock.now(), gpu=3, xid=79, resolved=True)]
    )
    timeline.run_for(600)
    timeline.clock.advance(2 * 3600)
    timeline.push([finding("a01n05", "xid", FaultOwner.HARDWARE, timeline.clock.now(), gpu=3, xid=79)])
    timeline.run_for(120)
    assert len(timeline.incidents()) == 2


def test_a_fleet_wide_silence_is_one_incident_about_the_cause(database, manual_clock, monkeypatch) -> None:
    """Every node of two clusters (two suppliers) silent at once: a partition or the control plane, not
    each cluster's supplier: one fleet incident, one page, one ticket to our own people."""
    load(database, two_tenant_fleet())
    timeline = Timeline(database, manual_clock)
    hosts = ["a000", "a001", "a002", "b000", "b001", "b002"]
    timeline.push([finding(h, "node_silent", FaultOwner.UNKNOWN, timeline.clock.now()) for h in hosts])
    timeline.run_for(120)
    [incident] = [i for i in timeline.incidents() if i.status == "open"]
    assert (incident.scope, incident.priority) == ("fleet", "P0")
    assert len(timeline.pager.triggers()) == 1
    assert [f["project"]["key"] for f in timeline.jira.issues.values()] == ["OPS"]
    assert timeline.slack.messages[SUPPLIER_HOOK] == []
