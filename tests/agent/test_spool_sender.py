"""Control plane down, then up: nothing lost, order kept, duplicates tolerated, poison set aside."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.ports import free_port

from fleetops.agent.sender import Backoff, Sender
from fleetops.agent.spool import Spool
from fleetops.wire import NodeReport, dump_report, parse_batch


class ControlPlane(BaseHTTPRequestHandler):
    """A stand-in ingestion endpoint: validates with the shared schema, 409 on a report id seen before."""

    received: list[str] = []
    seen: set[str] = set()
    fail_next = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert self.path == "/api/v1/health/reports" and self.headers["Authorization"] == "Bearer node-token"
        if ControlPlane.fail_next:
            ControlPlane.fail_next -= 1
            return self._reply(503, {"detail": "overloaded"})
        batch = parse_batch(body)
        if any(report.hostname == "poison" for report in batch.reports):
            return self._reply(422, {"detail": "unknown node poison"})
        ids = [str(report.report_id) for report in batch.reports]
        if all(i in ControlPlane.seen for i in ids):
            return self._reply(409, {"detail": "duplicate"})
        for i in ids:
            if i not in ControlPlane.seen:
                ControlPlane.seen.add(i)
                ControlPlane.received.append(i)
        self._reply(202, {"accepted": len(ids)})

    def _reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    ControlPlane.received, ControlPlane.seen, ControlPlane.fail_next = [], set(), 0
    yield free_port()


def start(port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), ControlPlane)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def report(n: int, hostname: str = "gpu-001") -> NodeReport:
    return NodeReport(
        hostname=hostname, agent_version="0.1.0", collected_at=datetime(2026, 1, 1, 0, n % 60, tzinfo=UTC)
    )


def test_down_then_up_loses_nothing_and_keeps_order(tmp_path: Path, port: int) -> None:
    spool = Spool(tmp_path / "spool")
    sender = Sender(f"http://127.0.0.1:{port}", "node-token", spool, batch_size=7)
    sent = [report(n) for n in range(50)]
    for n, item in enumerate(sent):
        spool.put(dump_report(item), str(item.report_id))
        if n % 10 == 0:
            result = sender.drain()
            assert result.delivered == 0 and result.error is not None  # control plane is down
    assert len(spool) == 50
    server = start(port)
    try:
        ControlPlane.fail_next = 1
        assert sender.drain().error is not None  # a 503 is retried later, nothing dropped
        result = sender.drain()
    finally:
        server.shutdown()
        server.server_close()
    assert (result.delivered, result.remaining, result.error) == (50, 0, None)
    assert ControlPlane.received == [str(item.report_id) for item in sent]


def test_duplicates_are_delivered_and_poison_set_aside(tmp_path: Path, port: int) -> None:
    spool = Spool(tmp_path / "spool")
    first, bad, last = report(1), report(2, hostname="poison"), report(3)
    server = start(port)
    try:
        sender = Sender(f"http://127.0.0.1:{port}", "node-token", spool)
        spool.put(dump_report(first), str(first.report_id))
        assert sender.drain().delivered == 1
        for item in (first, bad, last):  # `first` again: as after a crash between send and ack
            spool.put(dump_report(item), str(item.report_id))
        result = sender.drain()
    finally:
        server.shutdown()
        server.server_close()
    assert (result.delivered, result.poisoned, result.remaining) == (2, 1, 0)
    assert ControlPlane.received == [str(first.report_id), str(last.report_id)]
    assert spool.status().poisoned == 1


def test_spool_cap_drops_oldest_and_counts(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", max_files=5)
    items = [report(n) for n in range(8)]
    for item in items:
        spool.put(dump_report(item), str(item.report_id))
    status = spool.status()
    assert (status.files, status.dropped) == (5, 3)
    kept = [json.loads(i.data)["report_id"] for i in spool.peek(10)]
    assert kept == [str(item.report_id) for item in items[3:]]


def test_spool_survives_restart_and_ignores_half_writes(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    spool = Spool(directory)
    spool.put(b"{}", "a")
    (directory / ".tmp-00000000000000000002-b.json").write_bytes(b'{"half')
    again = Spool(directory)
    path = again.put(b"{}", "c")
    assert len(again) == 2 and path.name.startswith("00000000000000000002")
    assert not list(directory.glob(".tmp-*"))


def test_backoff_grows_with_jitter_and_caps() -> None:
    backoff = Backoff(base_s=1, cap_s=30)
    delays = [backoff.next_delay() for _ in range(10)]
    assert 0.5 <= delays[0] <= 1 and 8 <= delays[4] <= 16 and all(d <= 30 for d in delays)
    backoff.reset()
    assert backoff.next_delay() <= 1
