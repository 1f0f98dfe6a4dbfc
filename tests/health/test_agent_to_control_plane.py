"""End to end, nothing external: the agent's spool and sender post real reports over HTTP to the real
app served by uvicorn on a free port, and the node's health in the database changes accordingly."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from fleetops.agent.sender import Sender
from fleetops.agent.spool import Spool
from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.health import service
from fleetops.wire import dump_report
from tests.factories import load, token, two_tenant_fleet
from tests.health.conftest import node_id
from tests.health.reports import gpu, report, xid
from tests.ports import free_port


class ServedApp:
    """uvicorn in a thread of this process, so the test can stop and start the control plane at will."""

    def __init__(self, port: int) -> None:
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            create_app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"uvicorn did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def served(database) -> Iterator[ServedApp]:
    load(database, two_tenant_fleet())
    app = ServedApp(free_port())
    app.start()
    yield app
    if app.thread is not None and app.thread.is_alive():
        app.stop()


def _health(database, hostname: str) -> dict:
    from fleetops.auth.principal import SYSTEM

    with database.transaction() as session:
        return service.node_health(session, SYSTEM, node_id(database, hostname))


def test_agent_reports_change_node_health_and_refusals_are_set_aside(served, database, tmp_path):
    spool = Spool(tmp_path / "spool")
    sender = Sender(
        served.url,
        token(database, Role.AGENT, node_id=node_id(database, "a000")),
        spool,
        client=httpx.Client(timeout=10),
    )
    first = report("a000")
    spool.put(dump_report(first), str(first.report_id))
    assert sender.drain().delivered == 1
    assert _health(database, "a000")["state"] == "healthy"

    sick = report("a000", xids=[xid(79, index=6)])
    stolen = report("a000", gpus=[gpu("a000", i) for i in range(7)] + [gpu("a000", 7, uuid="GPU-not-ours")])
    for item in (sick, stolen):
        spool.put(dump_report(item), str(item.report_id))
    result = sender.drain()
    assert (result.delivered, result.poisoned, result.remaining) == (1, 1, 0)
    health = _health(database, "a000")
    assert health["state"] == "unhealthy" and "XID 79" in health["why"]
    assert {g["index"] for g in health["gpus"] if g["state"] == "unhealthy"} == {6}

    spool.put(dump_report(sick), str(sick.report_id))  # a resend after a lost acknowledgement
    assert sender.drain().delivered == 1
    [finding] = [f for f in health["findings"] if f["check"] == "xid"]
    assert [f["count"] for f in _health(database, "a000")["findings"] if f["id"] == finding["id"]] == [1]
    sender.close()


def test_control_plane_down_then_up_loses_nothing(served, database, tmp_path):
    spool = Spool(tmp_path / "spool")
    sender = Sender(
        served.url,
        token(database, Role.AGENT, node_id=node_id(database, "a001")),
        spool,
        client=httpx.Client(timeout=5),
    )
    served.stop()
    reports = [report("a001"), report("a001", xids=[xid(48, index=2)])]
    for item in reports:
        spool.put(dump_report(item), str(item.report_id))
    down = sender.drain()
    assert down.delivered == 0 and down.remaining == 2 and down.error
    served.start()
    up = sender.drain()
    assert up.delivered == 2 and up.remaining == 0
    health = _health(database, "a001")
    assert health["state"] == "unhealthy"
    assert [f["xid"] for f in health["findings"] if f["check"] == "xid"] == [48]
    sender.close()
