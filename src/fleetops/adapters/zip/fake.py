"""A local Zip over real HTTP: the same paths, headers, paging and record shapes as `client.py` reads,
for tests and the demo. It refuses a request without the key (401) or the version header (400)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class FakeZip:
    def __init__(self, api_key: str = "zip-test-key", api_version: str = "2024-06-06") -> None:
        self.api_key, self.api_version = api_key, api_version
        self.data: dict[str, list[dict[str, Any]]] = {"vendors": [], "purchase_orders": [], "invoices": []}
        self.requests: list[dict[str, Any]] = []
        self.fail_next: list[int] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeZip:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def page(self, resource: str, token: str | None, size: int) -> dict[str, Any]:
        start = int(token or 0)
        rows = self.data[resource][start : start + size]
        more = start + size < len(self.data[resource])
        return {"list": rows, "next_page_token": str(start + size) if more else None}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append({"path": url.path, "query": query, "headers": dict(self.headers)})
                resource = url.path.strip("/")
                if fake.fail_next:
                    return self._send(fake.fail_next.pop(0), {"message": "unavailable"})
                if self.headers.get("Zip-Api-Key") != fake.api_key:
                    return self._send(401, {"message": "invalid API key"})
                if self.headers.get("Zip-Api-Version") != fake.api_version:
                    return self._send(400, {"message": "unsupported Zip-Api-Version"})
                if resource not in fake.data:
                    return self._send(404, {"message": f"no resource {resource}"})
                size = min(int(query.get("page_size", 50)), 100)
                self._send(200, fake.page(resource, query.get("page_token"), size))

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                return

        return Handler
