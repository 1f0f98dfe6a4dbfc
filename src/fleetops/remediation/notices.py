"""Notices over the shared notification ports: supplier tickets (Jira), customer messages (Slack), pages.

Jira has no idempotency key, so a ticket is found by the run's label before one is created: a step resumed
after a crash never opens a second ticket. An open ticket the alert path already holds for the node is
taken over instead of opening another beside it. Delivery failures raise `ExternalError` for the engine
to retry.

Why not the alerts outbox: the run itself is the durable record here (its step is written before the
call and retried with backoff), and the run must hold the ticket key before it may advance; an outbox row
would only add a second queue to wait on. Both paths share the same ports (`Ticketer`, `ChatNotifier`,
`Pager`) and their clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import SecretStr

from fleetops.adapters.jira import Ticketer, node_label
from fleetops.adapters.pagerduty import Pager
from fleetops.adapters.slack import ChatNotifier
from fleetops.backends.settings import webhook_key
from fleetops.remediation.executors import Target


@dataclass
class PortNotices:
    ticketer: Ticketer
    chat: ChatNotifier
    pager: Pager
    jira_url: str = ""
    # Jira project per supplier name ("*" for the rest); the supplier's own queue gets its RMAs.
    projects: dict[str, str] = field(default_factory=lambda: {"*": "RMA"})
    pagerduty_url: str = "https://events.pagerduty.com/v2/enqueue"
    routing_key: str = ""
    # The customers' Slack webhooks by customer name ("default" for the rest): the same settings the
    # alerts' customer receiver uses (`[fleetops.notify.webhooks]`), never a row.
    webhooks: Mapping[str, SecretStr] = field(default_factory=dict)

    def open_ticket(self, target: Target, kind: str, summary: str, key: str) -> str:
        found = self.ticketer.find_issue(self.jira_url, key)
        if found:
            return found
        # The alert path may have ticketed this node's fault already (while a breaker held the run back):
        # the run takes that ticket over, so the supplier works one ticket for one fault.
        open_one = self.ticketer.find_issue(self.jira_url, node_label(target.hostname), open_only=True)
        if open_one:
            note = f"fleetops remediation run {target.run_id} follows this ticket: {summary}"
            self.ticketer.add_comment(self.jira_url, open_one, note)
            return open_one
        project = self.projects.get(target.supplier) or self.projects.get("*", "RMA")
        fields = {
            "project": {"key": project},
            "summary": f"[{kind}] {target.hostname}: {summary}"[:255],
            "description": (
                f"node {target.hostname} (cluster {target.cluster}, supplier {target.supplier}), "
                f"GPU {target.gpu_index if target.gpu_index is not None else '-'}\n{target.reason}"
            ),
            "issuetype": {"name": "Task"},
            "labels": ["fleetops", "remediation", kind, key, node_label(target.hostname)],
        }
        return self.ticketer.create_issue(self.jira_url, fields)

    def repaired(self, ticket: str) -> bool:
        return self.ticketer.issue_status(self.jira_url, ticket) == "done"

    def reopen(self, ticket: str, why: str) -> None:
        self.ticketer.add_comment(self.jira_url, ticket, f"fleetops: the repair did not hold: {why}")
        if self.repaired(ticket):
            self.ticketer.reopen(self.jira_url, ticket)

    def tell_supplier(self, ticket: str, hostname: str, evidence: tuple[str, ...]) -> None:
        lines = "\n".join(f"- {line}" for line in evidence)
        self.ticketer.add_comment(self.jira_url, ticket, f"fleetops: seen on {hostname} since:\n{lines}")

    def tell_customer(self, target: Target, text: str, key: str) -> None:
        chosen = webhook_key(self.webhooks, target.customer)
        if chosen is None:
            return  # no channel for this customer: the run's step row still says what happened
        self.chat.post(
            self.webhooks[chosen].get_secret_value(),
            {"text": f"{target.hostname} ({target.cluster}): {text}", "fleetops_key": key},
        )

    def page(self, summary: str, key: str) -> None:
        event = {
            "routing_key": self.routing_key,
            "event_action": "trigger",
            "dedup_key": key,
            "payload": {"summary": summary[:1024], "source": "fleetops-remediation", "severity": "critical"},
        }
        self.pager.send_event(self.pagerduty_url, event)
