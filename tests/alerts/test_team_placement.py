"""An alert about no machine (a vendor's onboarding, the procurement feed) is placed by its `team` label: one
team incident per team and alert name, routed by the tree's `scope="team"` child to that team's channel.
Without a team it is still refused, and a team never excuses an unknown node or cluster."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from fleetops.alerts import models
from fleetops.alerts import service as alerts
from fleetops.alerts.context import Context
from fleetops.db.session import Database
from fleetops.flow import Alert, fingerprint
from tests.alerts.test_route import receivers

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def alert(**labels: str) -> Alert:
    labels = {"alertname": "asset_sla_vendor_onboarding", "severity": "warning", "owner": "unknown"} | labels
    return Alert(fingerprint(labels), labels, "firing", NOW, source="test", annotations={"summary": "late"})


def test_a_team_alert_becomes_one_team_incident_routed_to_the_team(fleet: Database) -> None:
    with fleet.transaction() as session:
        done = alerts.process(
            [
                alert(team="procurement", subject="vendor dell"),
                alert(team="procurement", subject="vendor hpe"),
            ],
            Context(session, now=NOW),
        )
        assert (done.stored, done.rejected) == (2, [])
        (incident,) = session.scalars(select(models.Incident)).all()
        assert (incident.scope, incident.subject, incident.labels) == (
            "team", "procurement", {"team": "procurement", "alertname": "asset_sla_vendor_onboarding"}
        )  # fmt: skip
        assert incident.receivers == ["team-slack"] and incident.priority != "P0"
        assert incident.cluster_id is None  # no tenant sees it: tenant views filter by cluster


def test_without_a_team_or_with_an_unknown_place_it_is_still_refused(fleet: Database) -> None:
    with fleet.transaction() as session:
        done = alerts.process(
            [alert(subject="vendor x"), alert(team="dcim", cluster="nope"), alert(team="dcim", node="ghost")],
            Context(session, now=NOW),
        )
        assert done.stored == 0 and sorted(done.rejected) == [
            "no node or cluster label to place the alert",
            "unknown cluster 'nope'",
            "unknown node 'ghost': not in the inventory",
        ]


def test_the_tree_sends_a_team_incident_to_its_channel_and_nothing_else() -> None:
    assert receivers({"scope": "team", "team": "procurement", "owner": "unknown", "priority": "P3"}) == [
        "team-slack"
    ]
    assert receivers({"scope": "node", "team": "procurement", "owner": "hardware"}) == [
        "supplier-tickets",
        "supplier-slack",
    ]
