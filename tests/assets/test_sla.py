"""Every SLA timer at its edge: one minute inside the limit is no breach, one minute past it is; a breach is
routed through the alert pipeline once, labelled with the owning team."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from fleetops.alerts import models as alert_models
from fleetops.assets import breaches, procurement, sla
from fleetops.assets.models import Asset, Shipment, SlaBreach, Vendor
from fleetops.assets.orders import vendor
from fleetops.db.session import Database
from tests.assets.conftest import ASN_CSV, import_file, order

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # ASN_CSV's ship date
MINUTE = timedelta(minutes=1)
TIMERS = {t.name: t for t in sla.default_timers()}


def start_clock(database: Database, name: str) -> None:
    """Make timer `name`'s clock start at T0 on one subject and keep running."""
    with database.transaction() as session:
        if name == "tracked":
            session.execute(
                update(Asset).where(Asset.serial == "SN-a000").values(delivered_at=T0, state="delivered")
            )
        elif name == "asn_in_netbox":
            session.execute(update(Shipment).values(created_at=T0))
        elif name == "vendor_onboarding":
            session.execute(update(Vendor).values(onboarding_started_at=T0, onboarded_at=None))
        elif name == "procurement_feed":
            procurement.mark(session, succeeded=True)


def breached(database: Database, name: str, now: datetime) -> list[str]:
    with database.transaction() as session:
        return [r.tick.subject for r in sla.evaluate(session, now, (TIMERS[name],)) if r.breached]


@pytest.mark.parametrize("name", ["tracked", "asn_in_netbox", "vendor_onboarding", "procurement_feed"])
def test_a_running_timer_breaches_one_minute_past_its_limit_not_before(
    shipped: Database, manual_clock, name: str
) -> None:
    manual_clock.set(T0)
    start_clock(shipped, name)
    limit = TIMERS[name].limit
    assert breached(shipped, name, T0 + limit - MINUTE) == []
    assert len(breached(shipped, name, T0 + limit + MINUTE)) == 1


def test_the_strict_timers_breach_at_the_limit_itself(shipped: Database, manual_clock) -> None:
    manual_clock.set(T0)
    start_clock(shipped, "vendor_onboarding")
    assert breached(shipped, "vendor_onboarding", T0 + timedelta(days=7)) == ["vendor dell"]
    start_clock(shipped, "tracked")
    assert breached(shipped, "tracked", T0 + timedelta(hours=24)) == []


@pytest.mark.parametrize(
    "late,breach", [(timedelta(hours=23, minutes=59), False), (timedelta(hours=24, minutes=1), True)]
)
def test_traceability_counts_from_shipment_to_the_serial_being_known(
    fleet: Database, vendor_settings, manual_clock, late: timedelta, breach: bool
) -> None:
    order(fleet)
    manual_clock.set(T0 + late)
    import_file(fleet, "asn", ASN_CSV)  # the ASN (the serials) arrives `late` after shipping
    assert len(breached(fleet, "traceability", T0 + timedelta(days=30))) == (3 if breach else 0)


def test_a_breach_is_routed_once_through_the_alert_pipeline_to_the_team(
    manual_clock, shipped: Database
) -> None:
    manual_clock.set(T0)
    start_clock(shipped, "tracked")
    with shipped.transaction() as session:
        vendor(session, "supermicro")  # onboarding starts now
    later = T0 + timedelta(days=8)
    with shipped.transaction() as session:
        found = breaches.check(session, later)
        made = {b.timer: b for b in found}
    assert made["tracked"].team == "dcops" and made["tracked"].routed == "alert pipeline (alpha)"
    assert made["vendor_onboarding"].routed == "alert pipeline (team procurement)"
    with shipped.transaction() as session:
        alert = session.scalar(
            select(alert_models.Alert).where(alert_models.Alert.alertname == "asset_sla_tracked")
        )
        assert alert.labels["team"] == "dcops" and alert.labels["cluster"] == "alpha" and alert.incident_id
        incident = session.scalar(
            select(alert_models.Incident).where(alert_models.Incident.scope == "team")
        )  # both vendors' breaches: one procurement incident, to the team's channel
        assert (incident.labels["team"], incident.subject, incident.receivers) == (
            "procurement", "procurement", ["team-slack"]
        )  # fmt: skip
        assert breaches.check(session, later + timedelta(hours=1)) == []
        assert len(session.scalars(select(SlaBreach)).all()) == len(found)
    assert sorted((b.timer, b.subject) for b in found) == [
        ("asn_in_netbox", "ASN ASN-1"),  # recorded before shipping (traceable), never pushed to NetBox
        ("tracked", "asset SN-a000"),
        ("vendor_onboarding", "vendor dell"),
        ("vendor_onboarding", "vendor supermicro"),
    ]


def test_the_timers_file_is_checked_at_load(tmp_path) -> None:
    path = tmp_path / "sla.yaml"
    path.write_text("timers:\n  - {name: x, what: y, clock: nope, limit: 24h, team: t, owner: hardware}\n")
    with pytest.raises(Exception, match=r"field timers.0.clock: .*'nope': one of"):
        sla.load(path)
    path.write_text(
        "timers:\n  - {name: x, what: y, clock: feed_age, limit: a day, team: t, owner: hardware}\n"
    )
    with pytest.raises(Exception, match="field timers.0.limit"):
        sla.load(path)
