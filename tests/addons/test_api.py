"""The add-on API as a customer and staff use it: remediation reached through its add-on, every change
audited with its diff, customers confined to their own clusters, and bad input refused with its JSON
pointer and nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from fleetops import clock
from fleetops.audit.models import AuditEvent
from fleetops.inventory.choices import Orchestrator
from fleetops.inventory.models import Cluster
from fleetops.okr.sources import Window, remediation_coverage

ADDONS = "/api/v1/addons"


def put(api, tokens, who, cluster, addon, **body):
    return api.put(f"{ADDONS}/clusters/{cluster}/{addon}", headers=tokens[who], json=body)


def state(api, tokens, who, cluster, addon):
    got = api.get(f"{ADDONS}/clusters/{cluster}", headers=tokens[who])
    assert got.status_code == 200, got.text
    return next(s for s in got.json() if s["addon"] == addon)


def test_the_catalog_lists_each_addon_with_its_default_and_settings_schema(client, tokens):
    got = client.get(ADDONS, headers=tokens["initech"]).json()
    by_name = {a["name"]: a for a in got}
    assert by_name["remediation"]["default"] is True and by_name["advanced-metrics"]["default"] is False
    latest = by_name["nvsentinel"]["versions"][-1]["schema"]
    assert set(latest["properties"]["modules"]["properties"]) >= {"faultQuarantine", "nodeDrainer", "janitor"}
    assert "dry_run" in by_name["remediation"]["versions"][0]["schema"]["properties"]  # remediation's own


def test_customer_opts_out_of_remediation_through_the_addon_and_remediation_sees_it(client, tokens, fleet):
    assert state(client, tokens, "initech", "alpha", "remediation")["enabled"] is True  # on by default
    done = put(client, tokens, "initech", "alpha", "remediation", enabled=False, settings={"dry_run": True})
    assert done.status_code == 200, done.text
    assert done.json()["diff"] == {"/enabled": [True, False], "/settings/dry_run": [False, True]}
    theirs = client.get("/api/v1/remediation/clusters/alpha/settings", headers=tokens["initech"]).json()
    assert theirs["enabled"] is False and theirs["dry_run"] is True  # one home: remediation's own settings
    with fleet.transaction() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.target_type == "cluster_addon"))
        assert event.target_key == "alpha/remediation" and event.actor.startswith("customer:")
        assert event.changes["/enabled"] == [True, False]


def test_the_same_change_twice_changes_nothing_the_second_time(client, tokens, fleet):
    first = put(client, tokens, "initech", "alpha", "advanced-metrics", enabled=True)
    again = put(client, tokens, "initech", "alpha", "advanced-metrics", enabled=True)
    assert first.json()["diff"] == {"/enabled": [False, True]} and again.json()["diff"] == {}
    with fleet.transaction() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.target_type == "cluster_addon")).all()
    assert len(events) == 1


def test_customers_see_and_change_only_their_own_clusters(client, tokens):
    for method in ("get", "put"):
        path = f"{ADDONS}/clusters/beta" + ("/advanced-metrics" if method == "put" else "")
        kwargs = {"json": {"enabled": True}} if method == "put" else {}
        refused = getattr(client, method)(path, headers=tokens["initech"], **kwargs)
        assert refused.status_code == 404, refused.text
    for who in ("globex", "viewer"):
        assert put(client, tokens, who, "beta", "advanced-metrics", enabled=True).status_code == 403
    assert state(client, tokens, "umbrella", "beta", "advanced-metrics")["enabled"] is False


@pytest.mark.parametrize(
    ("addon", "body", "pointers"),
    [
        ("advanced-metrics", {"settings": {"scrape_interval_s": 7}}, ["/settings/scrape_interval_s"]),
        ("advanced-metrics", {"settings": {"exporters": ["node-exporter", "x"]}}, ["/settings/exporters/1"]),
        ("advanced-metrics", {"settings": {"drop_series": ["bad name"]}}, ["/settings/drop_series/0"]),
        ("nvsentinel", {"settings": {"modules": {"janitor": "yes"}}}, ["/settings/modules/janitor"]),
        ("nvsentinel", {"settings": {"dryRun": 1, "bogus": True}}, ["/settings: ", "/settings/dryRun"]),
        ("remediation", {"settings": {"allowed_actions": ["format_disk"]}}, ["/settings/allowed_actions"]),
        ("remediation", {"settings": {"notify": {"webhook": "x"}}}, ["/settings/notify"]),
        ("advanced-metrics", {"version": "9.9.9"}, ["/version"]),
        ("no-such-addon", {}, ["/addon"]),
    ],
)
def test_bad_input_is_refused_naming_the_json_pointer_and_nothing_is_stored(
    client, tokens, fleet, addon, body, pointers
):
    refused = put(client, tokens, "initech", "alpha", addon, enabled=True, **body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    for pointer in pointers:
        assert pointer in refused.json()["detail"]
    with fleet.transaction() as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.target_type == "cluster_addon")) is None
    assert (
        client.get("/api/v1/remediation/clusters/alpha/settings", headers=tokens["initech"]).json()[
            "updated_by"
        ]
        is None
    )


def test_an_orchestrator_the_addon_does_not_support_is_refused_at_enabled(client, tokens, fleet):
    with fleet.transaction() as session:
        session.execute(
            update(Cluster).where(Cluster.name == "beta").values(orchestrator=Orchestrator.SLURM_BARE_METAL)
        )
    refused = put(client, tokens, "umbrella", "beta", "nvsentinel", enabled=True)
    assert refused.status_code == 422 and "/enabled" in refused.json()["detail"]
    assert "slurm-bare-metal" in refused.json()["detail"]
    assert state(client, tokens, "umbrella", "beta", "nvsentinel")["supported"] is False


def test_upgrade_moves_settings_or_refuses_with_the_reason(client, tokens):
    old = {"version": "1.0.0", "settings": {"grafana_editable": False, "extra_relabel": [{"action": "drop"}]}}
    assert put(client, tokens, "initech", "alpha", "advanced-metrics", enabled=True, **old).status_code == 200
    refused = put(client, tokens, "initech", "alpha", "advanced-metrics", version="1.1.0")
    assert refused.status_code == 422 and "/extra_relabel" in refused.json()["detail"]
    assert "drop_series" in refused.json()["detail"]  # the reason says what to do instead
    assert state(client, tokens, "initech", "alpha", "advanced-metrics")["version"] == "1.0.0"
    cleared = put(
        client,
        tokens,
        "initech",
        "alpha",
        "advanced-metrics",
        version="1.0.0",
        settings={"extra_relabel": []},
    )
    assert cleared.status_code == 200, cleared.text
    # an empty list is still a value: the reason stands until the key is gone
    assert put(client, tokens, "initech", "alpha", "advanced-metrics", version="1.1.0").status_code == 422


def test_upgrade_without_the_refused_setting_moves_it_and_a_downgrade_has_no_path(client, tokens):
    old = {"version": "1.0.0", "settings": {"grafana_editable": False}}
    assert put(client, tokens, "initech", "alpha", "advanced-metrics", enabled=True, **old).status_code == 200
    up = put(client, tokens, "initech", "alpha", "advanced-metrics", version="1.1.0")
    assert up.status_code == 200, up.text
    assert up.json()["state"]["settings"]["dashboards"] == {"editable": False}
    assert up.json()["diff"]["/version"] == ["1.0.0", "1.1.0"]
    assert "/settings/grafana_editable" in up.json()["diff"]
    down = put(client, tokens, "initech", "alpha", "advanced-metrics", version="1.0.0")
    assert down.status_code == 422 and "no upgrade path" in down.json()["detail"]


def test_nvsentinel_remediation_and_fleetops_remediation_never_act_on_one_cluster(client, tokens):
    modules = {"settings": {"modules": {"faultRemediation": True}}}
    refused = put(client, tokens, "initech", "alpha", "nvsentinel", enabled=True, **modules)
    assert refused.status_code == 422 and "/settings/modules/faultRemediation" in refused.json()["detail"]
    assert put(client, tokens, "initech", "alpha", "remediation", enabled=False).status_code == 200
    assert put(client, tokens, "initech", "alpha", "nvsentinel", enabled=True, **modules).status_code == 200
    back = put(client, tokens, "initech", "alpha", "remediation", enabled=True)
    assert back.status_code == 422 and "/enabled" in back.json()["detail"]


def test_coverage_is_a_number_for_staff_and_agrees_with_the_goals(client, tokens, fleet):
    def remediation() -> dict:
        rows = client.get(f"{ADDONS}/coverage", headers=tokens["viewer"]).json()
        return next(r for r in rows if r["addon"] == "remediation")

    assert remediation() == {"addon": "remediation", "clusters": 2, "enabled": 2, "percent": 100.0}
    put(client, tokens, "initech", "alpha", "remediation", enabled=False)
    assert remediation()["percent"] == 50.0
    with fleet.transaction() as session:
        assert remediation_coverage(session, Window(clock.now(), 30)).value == 50.0
    assert client.get(f"{ADDONS}/coverage", headers=tokens["initech"]).status_code == 403
