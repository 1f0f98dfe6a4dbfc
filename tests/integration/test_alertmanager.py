"""A real Prometheus Alertmanager on loopback forwards to fleetops through its webhook receiver.

Alertmanager gets alerts on its own API (/api/v2/alerts), groups them, and posts version-4 webhook
payloads with a bearer token to a fleetops app served by uvicorn; then fleetops' worker tick decides what
pages, tickets and forwards (the adapters' fakes stand in for PagerDuty, Slack and Jira).
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import func, select

from fleetops.adapters.alertmanager.client import AlertmanagerClient
from fleetops.alerts import models
from fleetops.alerts.api import router
from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from tests.alerts.fleet import fleet
from tests.alerts.harness import SUPPLIER_HOOK, Timeline
from tests.factories import load, token
from tests.ports import free_port

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
pytestmark = pytest.mark.skipif(
    BINARY is None,
    reason="prometheus-alertmanager is not installed: apt-get install -y prometheus-alertmanager",
)


@pytest.fixture
def fleetops_url(sqlite_database) -> Iterator[str]:
    app = create_app()
    if not any(getattr(r, "path", "").startswith("/api/v1/alerts") for r in app.routes):
        app.include_router(router)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def alertmanager(tmp_path: Path, fleetops_url: str, sqlite_database) -> Iterator[AlertmanagerClient]:
    secret = token(sqlite_database, Role.OPERATOR)
    config = tmp_path / "am.yml"
    config.write_text(f"""
route:
  receiver: fleetops
  group_by: [alertname, instance]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: fleetops
    webhook_configs:
      - url: {fleetops_url}/api/v1/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization: {{type: Bearer, credentials: "{secret}"}}
""")
    port = free_port()
    log = (tmp_path / "am.log").open("w")
    process = subprocess.Popen(
        [
            BINARY,
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            f"--storage.path={tmp_path / 'data'}",
        ],
        stdout=log,
        stderr=log,
    )
    client = AlertmanagerClient(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 20
    while not client.ready():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"alertmanager did not start: {(tmp_path / 'am.log').read_text()[-2000:]}")
        time.sleep(0.1)
    yield client
    process.terminate()
    process.wait(timeout=10)
    log.close()


def am_alert(node: str, name: str, owner: str, ends: datetime | None = None, **labels: str) -> dict:
    alert = {
        "labels": {"alertname": name, "instance": f"{node}:9400", "owner": owner, **labels},
        "annotations": {"summary": f"{name} on {node}"},
        "generatorURL": "http://prometheus.test",
    }
    if ends is not None:
        alert["endsAt"] = ends.isoformat()
    return alert


def wait_for(database, predicate, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with database.transaction() as session:
            if predicate(session):
                return
        time.sleep(0.2)
    pytest.fail("fleetops did not receive what Alertmanager should have sent")


def firing(session) -> int:
    return session.scalar(
        select(func.count()).select_from(models.Alert).where(models.Alert.status == "firing")
    )


def test_alertmanager_storm_becomes_one_rack_ticket_and_one_xid_ticket(
    alertmanager, sqlite_database, manual_clock, monkeypatch
) -> None:
    load(sqlite_database, fleet(racks=11, per_rack=32))
    manual_clock.set(datetime.now(UTC))
    timeline = Timeline(sqlite_database, manual_clock)
    storm = [
        am_alert(f"a03n{n:02d}", "GpuUnreachable", "unknown", gpu=str(g)) for n in range(32) for g in range(8)
    ]
    storm.append(am_alert("a07n01", "GpuXid", "hardware", gpu="2", xid="79"))
    alertmanager.post_alerts(storm)
    wait_for(sqlite_database, lambda s: firing(s) == 257)
    timeline.run_for(60)
    incidents = sorted((i.scope, i.alert_count) for i in timeline.incidents() if i.status == "open")
    assert incidents == [("node", 1), ("rack", 256)]
    assert timeline.pager.events == []
    assert len(timeline.jira.issues) == 2
    assert len(timeline.slack.messages[SUPPLIER_HOOK]) == 2

    alertmanager.post_alerts(
        [
            am_alert(
                "a07n01",
                "GpuXid",
                "hardware",
                ends=datetime.now(UTC) - timedelta(seconds=1),
                gpu="2",
                xid="79",
            )
        ]
    )
    wait_for(sqlite_database, lambda s: firing(s) == 256)
    timeline.run_for(400)
    assert sorted(i.scope for i in timeline.incidents() if i.status == "open") == ["rack"]
    assert any(m["text"].startswith("RESOLVED") for m in timeline.slack.messages[SUPPLIER_HOOK])
