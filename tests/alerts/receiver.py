"""A local HTTP receiver standing in for PagerDuty, Slack and Jira, checking each documented payload.

PagerDuty: POST /v2/enqueue (Events API v2). Slack: POST /slack/<hook> (incoming webhook).
Jira: GET /jira/rest/api/2/search?jql=labels = "x" [AND statusCategory != Done],
POST /jira/rest/api/2/issue, GET and POST /jira/rest/api/2/issue/<key>/transitions (one transition,
"Done", into the done category, until the issue is closed), POST /jira/rest/api/2/issue/<key>/comment.
`down` answers 503 to all.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

PD_KEYS = {"routing_key", "event_action", "dedup_key", "payload", "client", "client_url", "links", "images"}
PD_PAYLOAD_KEYS = {
    "summary",
    "source",
    "severity",
    "timestamp",
    "component",
    "group",
    "class",
    "custom_details",
}


def check_pagerduty(event: dict[str, Any]) -> str | None:
    if set(event) - PD_KEYS:
        return f"unknown keys {set(event) - PD_KEYS}"
    if event.get("event_action") not in ("trigger", "acknowledge", "resolve") or not event.get("routing_key"):
        return "event_action and routing_key are required"
    if event["event_action"] == "trigger":
        payload = event.get("payload", {})
        if set(payload) - PD_PAYLOAD_KEYS or not all(
            payload.get(k) for k in ("summary", "source", "severity")
        ):
            return "payload needs summary, source, severity and nothing unknown"
        if payload["severity"] not in ("critical", "error", "warning", "info"):
            return "bad severity"
    return None


TRANSITIONS = re.compile(r"/jira/rest/api/2/issue/([^/]+)/transitions")
COMMENT = re.compile(r"/jira/rest/api/2/issue/([^/]+)/comment")
DONE = {"id": "31", "name": "Done", "to": {"name": "Done", "statusCategory": {"key": "done", "name": "Done"}}}


class Receiver:
    def __init__(self) -> None:
        self.pagerduty: list[dict[str, Any]] = []
        self.slack: dict[str, list[dict[str, Any]]] = {}
        self.jira: dict[str, dict[str, Any]] = {}
        self.jira_closed: dict[str, str] = {}  # issue key → closing comment
        self.jira_comments: dict[str, list[str]] = {}
        self.invalid: list[str] = []
        self.down = False
        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                receiver.requests += 1
                if receiver.down:
                    return self._reply(503, {"error": "down"})
                url = urlparse(self.path)
                transitions = TRANSITIONS.fullmatch(url.path)
                if transitions:
                    key = transitions[1]
                    if key not in receiver.jira:
                        return self._reply(404, {"errorMessages": ["Issue does not exist"]})
                    found = [] if key in receiver.jira_closed else [DONE]
                    return self._reply(200, {"expand": "transitions", "transitions": found})
                jql = parse_qs(url.query).get("jql", [""])[0]
                label = re.search(r'labels = "([^"]+)"', jql)
                keys = [k for k, f in receiver.jira.items() if label and label[1] in f["labels"]]
                if jql.endswith(" AND statusCategory != Done"):
                    keys = [k for k in keys if k not in receiver.jira_closed]
                return self._reply(200, {"total": len(keys), "issues": [{"key": k} for k in keys[:1]]})

            def do_POST(self) -> None:  # noqa: N802
                receiver.requests += 1
                if receiver.down:
                    return self._reply(503, {"error": "down"})
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                if self.path == "/v2/enqueue":
                    problem = check_pagerduty(body)
                    if problem:
                        receiver.invalid.append(problem)
                        return self._reply(400, {"status": "invalid event", "errors": [problem]})
                    receiver.pagerduty.append(body)
                    return self._reply(202, {"status": "success", "dedup_key": body["dedup_key"]})
                if self.path.startswith("/slack/"):
                    if not isinstance(body.get("text"), str):
                        receiver.invalid.append("slack: no text")
                        return self._reply(400, {"error": "no_text"})
                    receiver.slack.setdefault(self.path, []).append(body)
                    return self._reply(200, "ok")
                if self.path == "/jira/rest/api/2/issue":
                    fields = body.get("fields", {})
                    if not all(fields.get(k) for k in ("project", "summary", "issuetype")):
                        receiver.invalid.append("jira: missing fields")
                        return self._reply(400, {"errors": {"summary": "required"}})
                    key = f"{fields['project']['key']}-{len(receiver.jira) + 1}"
                    receiver.jira[key] = fields
                    return self._reply(201, {"id": str(len(receiver.jira)), "key": key, "self": self.path})
                return self._jira_issue_post(body)

            def _jira_issue_post(self, body: dict[str, Any]) -> None:
                """Transitions and comments on an existing issue, answered as Jira does (204, 201)."""
                path = urlparse(self.path).path
                found = TRANSITIONS.fullmatch(path) or COMMENT.fullmatch(path)
                if found is None:
                    return self._reply(404, {"error": "no such endpoint"})
                key = found[1]
                if key not in receiver.jira:
                    return self._reply(404, {"errorMessages": ["Issue does not exist"]})
                if found.re is COMMENT:
                    if not isinstance(body.get("body"), str) or not body["body"]:
                        receiver.invalid.append("jira: comment without body")
                        return self._reply(400, {"errors": {"body": "required"}})
                    receiver.jira_comments.setdefault(key, []).append(body["body"])
                    return self._reply(201, {"id": "1", "body": body["body"]})
                added = body.get("update", {}).get("comment", [{}])[0].get("add", {}).get("body")
                if body.get("transition", {}).get("id") != DONE["id"] or not added:
                    receiver.invalid.append("jira: transition needs a known id and a comment")
                    return self._reply(400, {"errors": {"transition": "invalid"}})
                receiver.jira_closed[key] = added
                self.send_response(204)
                self.end_headers()
                return None

        return Handler
