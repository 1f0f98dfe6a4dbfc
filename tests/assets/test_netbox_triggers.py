"""What starts a NetBox sync or a drift report: the API (per role), `fleetops assets sync|drift`, and the
worker's tasks (the sync and the SLA check on a schedule), against the fake NetBox."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from fleetops import clock
from fleetops.adapters.netbox.client import NetboxClient
from fleetops.adapters.netbox.fake import FakeNetbox
from fleetops.assets import breaches, netbox_service
from fleetops.cli.main import app
from fleetops.db.session import Database, make_engine
from fleetops.errors import Conflict
from fleetops.workers.runner import TASKS
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture


def test_the_api_syncs_for_writers_and_reports_drift_to_staff(
    shipped: Database, client: TestClient, tokens: dict[str, dict[str, str]], fake_netbox: FakeNetbox
) -> None:
    assert client.post("/api/v1/assets/netbox/sync").status_code == 401
    assert client.post("/api/v1/assets/netbox/sync", headers=tokens["viewer"]).status_code == 403
    done = client.post("/api/v1/assets/netbox/sync", headers=tokens["operator"])
    assert done.status_code == 200 and done.json()["devices created"] == 6
    fake_netbox.find("dcim/devices", name="b000")["status"] = "offline"
    for tenant in ("acme", "initech"):
        assert client.get("/api/v1/assets/netbox/drift", headers=tokens[tenant]).status_code == 403
    report = client.get("/api/v1/assets/netbox/drift", headers=tokens["viewer"]).json()
    assert report["counts"] == {"status": 1} and report["drift"][0]["key"] == "SN-b000"
    assert [(p["pod"], p["complete"]) for p in report["completeness"]] == [("p1", 3), ("p9", 3)]
    moved = {"id": fake_netbox.find("dcim/devices", name="b001")["id"], "position": 40}  # moved in NetBox
    NetboxClient("http://netbox.test", "nbt_k.t", transport=fake_netbox).bulk_update("dcim/devices", [moved])
    again = client.post("/api/v1/assets/netbox/sync", headers=tokens["operator"])
    assert again.json() == {"devices pulled": 1}  # pulled back first; then nothing left to push


def test_a_pull_that_fails_does_not_hold_back_the_push(
    shipped: Database, fake_netbox: FakeNetbox, caplog: pytest.LogCaptureFixture
) -> None:
    answer = fake_netbox.handle_request

    def no_change_log(request: httpx.Request) -> httpx.Response:  # a token that may write devices only
        if "/core/object-changes/" in request.url.path:
            return httpx.Response(403, json={"detail": "You do not have permission to perform this action."})
        return answer(request)

    fake_netbox.handle_request = no_change_log  # type: ignore[method-assign]
    with caplog.at_level("WARNING", "fleetops.worker"):
        done = netbox_service.sync(shipped, "ops")
    assert done["pull failed"] == 1 and done["devices created"] == 6 and done["gpus created"] == 48
    assert "netbox pull failed" in caplog.text and "object-changes" in caplog.text


def test_without_netbox_settings_the_api_says_so(
    shipped: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    refused = client.post("/api/v1/assets/netbox/sync", headers=tokens["operator"])
    assert refused.status_code == 503 and "[assets.netbox]" in refused.json()["detail"]
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_the_cli_syncs_and_shows_drift(
    shipped: Database,
    fake_netbox: FakeNetbox,
    remote_cli,  # noqa: F811
) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["assets", "sync", "--json"])
    assert done.exit_code == 0, done.stderr
    assert '"gpus created": 48' in done.stdout
    again = runner.invoke(app, ["assets", "sync"])
    assert again.exit_code == 0 and "nothing to change" in again.stdout
    del fake_netbox.objects["dcim/devices"][fake_netbox.find("dcim/devices", name="a001")["id"]]
    shown = runner.invoke(app, ["assets", "drift"])
    assert shown.exit_code == 0 and "missing_in_netbox" in shown.stdout and "SN-a001" in shown.stdout
    assert "completeness" in shown.stdout and "66.7%" in shown.stdout  # a001's pod lost one of three


def test_the_worker_syncs_on_schedule_and_checks_the_timers(
    shipped: Database, fake_netbox: FakeNetbox, manual_clock: clock.ManualClock
) -> None:
    tasks = {task.name: task for task in TASKS}
    assert tasks["assets.netbox_sync"].run is netbox_service.tick and tasks["assets.sla"].run is breaches.tick
    manual_clock.set(clock.now() + timedelta(days=400))  # every timer of the shipped fleet long past
    assert breaches.tick(shipped) >= 1
    assert breaches.tick(shipped) == 0  # each breach once

    answer, asked, release = fake_netbox.handle_request, threading.Event(), threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        asked.set()
        release.wait(30)  # NetBox takes its time: the worker's loop must not wait with it
        return answer(request)

    fake_netbox.handle_request = slow  # type: ignore[method-assign]
    assert netbox_service.tick(shipped) == 1  # started, in a thread of its own
    assert netbox_service.tick(shipped) == 0  # still running: not a second one
    assert asked.wait(30)
    with pytest.raises(Conflict, match="already running"):  # nor an API call's beside it
        netbox_service.sync(shipped, "ops")
    release.set()
    netbox_service._running.join(30)  # type: ignore[union-attr]
    assert (
        len(fake_netbox.objects["dcim/devices"]) == 6
        and len(fake_netbox.objects["dcim/inventory-items"]) == 48
    )


def test_a_sync_in_another_process_refuses_this_one_until_it_ends(
    shipped: Database, fake_netbox: FakeNetbox
) -> None:
    if shipped.is_sqlite:
        pytest.skip("the lock across processes is PostgreSQL's advisory lock")
    other = make_engine(str(shipped.engine.url.render_as_string(hide_password=False)))
    try:
        with other.connect() as held:  # another process's session, holding the sync's lock
            assert held.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": netbox_service.LOCK_KEY})
            with pytest.raises(Conflict, match="another process"):
                netbox_service.sync(shipped, "ops")
            assert fake_netbox.objects.get("dcim/devices", {}) == {}
            held.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": netbox_service.LOCK_KEY})
        assert netbox_service.sync(shipped, "ops")["devices created"] == 6
    finally:
        other.dispose()


def test_the_worker_leaves_netbox_alone_when_it_is_not_configured(shipped: Database) -> None:
    assert netbox_service.tick(shipped) == 0
