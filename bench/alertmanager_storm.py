"""The alert storm fed to a real Prometheus Alertmanager, for comparison with fleetops: time until
Alertmanager holds every alert, time until its notifications settle, and how many it sends to one
webhook receiver (a local counting server). Used by `bench_alerts.py --alertmanager`; not a benchmark
of its own (`make bench` runs bench_*.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import repo_root  # noqa: F401  (the repository root on sys.path, for tests.*)
from tests.ports import free_port

from fleetops.adapters.alertmanager.client import AlertmanagerClient

CONFIG = """
route:
  receiver: sink
  group_by: [cluster, rack]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: sink
    webhook_configs: [{{url: "http://127.0.0.1:{port}/", max_alerts: 0}}]
"""


def _sink() -> tuple[ThreadingHTTPServer, dict[str, Any]]:
    seen: dict[str, Any] = {"posts": 0, "alerts": 0, "last": 0.0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            seen["posts"] += 1
            seen["alerts"] += len(body["alerts"])
            seen["last"] = time.monotonic()
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def run_alertmanager(alerts: int, batch: int = 1000, settle_s: float = 45.0) -> dict[str, Any]:
    binary = shutil.which("prometheus-alertmanager")
    if binary is None:
        return {"skipped": "prometheus-alertmanager not installed"}
    server, seen = _sink()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "am.yml"
        config.write_text(CONFIG.format(port=server.server_address[1]))
        port = free_port()
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                f"--storage.path={tmp}/data",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            client = AlertmanagerClient(f"http://127.0.0.1:{port}", timeout=120)
            while not client.ready():
                time.sleep(0.1)
            rows = [
                {
                    "labels": {
                        "alertname": "GpuUnreachable",
                        "instance": f"n{i // 8:05d}:9400",
                        "gpu": str(i % 8),
                        "cluster": f"c{i // 8 // 1280:02d}",
                        "rack": f"r{i // 8 // 32:03d}",
                    }
                }
                for i in range(alerts)
            ]
            start = time.monotonic()
            for offset in range(0, alerts, batch):
                client.post_alerts(rows[offset : offset + batch])
            ingested = time.monotonic() - start
            while len(client.alerts()) < alerts and time.monotonic() - start < 300:
                time.sleep(0.5)
            held = time.monotonic() - start
            while seen["last"] == 0.0 or time.monotonic() - seen["last"] < settle_s:
                time.sleep(1)
                if time.monotonic() - start > 300:
                    break
            return {
                "post_s": round(ingested, 2),
                "all_held_s": round(held, 2),
                "settled_s": round(seen["last"] - start, 2),
                "notifications": seen["posts"],
                "alerts_in_notifications": seen["alerts"],
            }
        finally:
            process.terminate()
            process.wait(timeout=10)
            server.shutdown()
