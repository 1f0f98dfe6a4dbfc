"""The documented payload each receiver gets for a group of incidents: PagerDuty, Slack and Jira.

The shapes follow the adapters' client docstrings. The text names what broke in the words a supplier acts
on (the XID with its catalog name, the GPU index and UUID), so a ticket can be worked without opening
fleetops; and a closing message says why it closes, so a folded ticket points at the one that carries on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from fleetops.adapters.jira import node_label
from fleetops.alerts import models
from fleetops.alerts.choices import Scope
from fleetops.alerts.policy import Receiver
from fleetops.catalog import default_catalog

PD_SEVERITY = {"P0": "critical", "P1": "error", "P2": "warning", "P3": "info"}
# A rack incident holds hundreds of alerts: a ticket lists this many faults and counts the rest.
FAULT_LINES = 20


@dataclass(frozen=True)
class Fault:
    """One alert as a supplier reads it: where (node, GPU index and UUID) and what (XID or check)."""

    where: str
    what: str

    @classmethod
    def of(cls, labels: dict[str, Any]) -> Fault:
        where = str(labels.get("node") or labels.get("cluster", ""))
        if labels.get("gpu") not in (None, ""):
            where += f" GPU {labels['gpu']}"
        if labels.get("gpu_uuid"):
            where += f" ({labels['gpu_uuid']})"
        xid = str(labels.get("xid", ""))
        if xid.isdigit():
            entry = default_catalog().lookup(int(xid))
            return cls(where, f"{entry.title}: {entry.meaning}")
        return cls(where, str(labels.get("alertname", "")))

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def dedup_key(incident_id: int) -> str:
    return f"fleetops-incident-{incident_id}"


def folded_note(into: models.Incident) -> str:
    return f"folded into {into.scope} incident #{into.id} ({into.subject})"


def _summary(incidents: list[models.Incident], faults: list[Fault]) -> str:
    head = incidents[0]
    labels = head.labels
    where = labels.get("cluster", "") + (f"/{labels['rack']}" if head.scope == "rack" else "")
    where += f"/{labels['node']}" if head.scope in ("node", "gpu") and "node" in labels else ""
    cause = Counter(f.what for f in faults).most_common(1)[0][0] + ", " if faults else ""
    text = (
        f"[{head.priority}] {head.scope} incident #{head.id} on {where or head.subject}: {cause}"
        f"{head.alert_count} alerts on {head.node_count} nodes, owner {head.owner}"
    )
    return text + (f" (+{len(incidents) - 1} more incidents)" if len(incidents) > 1 else "")


def _fault_lines(incidents: list[models.Incident], faults: list[Fault]) -> list[str]:
    rest = sum(i.alert_count for i in incidents) - len(faults)
    return [f"- {f}" for f in faults] + ([f"- and {rest} more alerts"] if rest > 0 and faults else [])


def _pagerduty(
    receiver: Receiver, incidents: list[models.Incident], action: str, faults: list[Fault]
) -> dict[str, Any]:
    head = incidents[0]
    event: dict[str, Any] = {
        "event_action": action,
        "dedup_key": dedup_key(head.id),
    }
    if action == "trigger":
        event["payload"] = {
            "summary": _summary(incidents, faults)[:1024],
            "source": head.labels.get("cluster", head.subject),
            "severity": PD_SEVERITY.get(head.priority, "warning"),
            "component": head.scope,
            "group": head.labels.get("supplier", ""),
            "class": head.labels.get("alertname", head.scope),
            "custom_details": {
                "incidents": [i.id for i in incidents],
                "labels": head.labels,
                "reason": head.reason,
                "faults": [str(f) for f in faults],
            },
        }
    return event


def _slack(
    incidents: list[models.Incident], action: str, faults: list[Fault], into: models.Incident | None
) -> dict[str, Any]:
    closing = f"FOLDED ({folded_note(into)}) " if into else "RESOLVED "
    text = (closing if action == "resolve" else "") + _summary(incidents, faults)
    lines = [f"• #{i.id} {i.scope} {i.subject}: {i.status}, {i.alert_count} alerts" for i in incidents[:20]]
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
    ]
    if faults:
        detail = "\n".join(_fault_lines(incidents, faults))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": detail}})
    return {"text": text, "blocks": blocks}


def _jira(receiver: Receiver, incidents: list[models.Incident], faults: list[Fault]) -> dict[str, Any]:
    head = incidents[0]
    description = "\n".join(
        [f"#{i.id} {i.key}: {i.alert_count} alerts, {i.node_count} nodes; {i.reason}" for i in incidents]
        + (["", "Faults:", *_fault_lines(incidents, faults)] if faults else [])
    )
    return {
        "project": {"key": receiver.project or "OPS"},
        "summary": _summary(incidents, faults)[:255],
        "description": description,
        "issuetype": {"name": "Task"},
        "labels": ["fleetops", dedup_key(head.id), f"owner-{head.owner}"]
        + ([node_label(head.subject)] if head.scope in (Scope.NODE, Scope.GPU) else []),
    }


def _jira_close(into: models.Incident) -> dict[str, Any]:
    label = dedup_key(into.id)
    return {"comment": f"Closed by fleetops: {folded_note(into)}; follow the ticket labelled {label}."}


def message(
    receiver: Receiver,
    incidents: list[models.Incident],
    action: str,
    faults: list[Fault],
    into: models.Incident | None = None,
) -> dict[str, Any] | None:
    """The documented payload for this receiver, or None when it has nothing to say.

    `into` is the wider incident a closing group was folded into. A Jira ticket is closed only then: a
    ticket whose fault recovered stays for the supplier to close after their check, while a folded one is
    a duplicate of the wider incident's ticket.
    """
    if receiver.kind == "pagerduty":
        return _pagerduty(receiver, incidents, action, faults)
    if receiver.kind == "slack":
        return _slack(incidents, action, faults, into)
    if action == "trigger":
        return _jira(receiver, incidents, faults)
    return _jira_close(into) if action == "resolve" and into is not None else None
