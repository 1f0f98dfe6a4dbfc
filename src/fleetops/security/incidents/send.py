"""Sending a customer notice: the rendered text, one Slack message per customer, through the alerts
outbox, the one delivery mechanism fleetops has (at least once, retried with backoff, rate limited per
webhook, the webhook looked up at delivery so no secret is written to a row; the worker's
`alerts.deliver` sends it).

Where a customer's message goes is the routing tree's customer receiver (the Slack receiver keyed
`by_label: customer`, `customer-slack` in routes.yaml) and its webhook for that customer from
`[fleetops.notify.webhooks]`, chosen by `backends.settings.webhook_key` like every other customer
message. A customer with no webhook refuses the whole send, naming the setting: nothing is queued for
anyone, so no customer is told while another is silently skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.alerts.choices import OutboxStatus
from fleetops.alerts.models import Outbox
from fleetops.alerts.policy import Receiver, RoutingTree, default_routes
from fleetops.audit.service import Change, record
from fleetops.auth.principal import Principal
from fleetops.backends.settings import Notify
from fleetops.errors import InvalidInput, NotConfigured
from fleetops.inventory.models import Customer
from fleetops.security.incidents import notices, service
from fleetops.security.incidents.choices import Notice
from fleetops.security.incidents.models import SecurityIncident


def customer_receiver(tree: RoutingTree) -> Receiver:
    found = [r for r in tree.receivers if r.kind == "slack" and r.by_label == "customer"]
    if not found:
        raise NotConfigured("routing tree: no slack receiver with by_label: customer to send notices to")
    return found[0]


def _customers(session: Session, incident: SecurityIncident, names: Sequence[str]) -> list[Customer]:
    """The inventory customers named (default: the incident's own `customers`, comma-separated)."""
    wanted = [n.strip() for n in (names or incident.customers.split(",")) if n.strip()]
    if not wanted:
        raise InvalidInput(f"{incident.key}: field customers: name the customers to tell")
    found = {
        c.name.lower(): c
        for c in session.scalars(
            select(Customer).where(func.lower(Customer.name).in_([n.lower() for n in wanted]))
        )
    }
    unknown = [n for n in wanted if n.lower() not in found]
    if unknown:
        raise InvalidInput(f"{incident.key}: field customers: no customer named {', '.join(unknown)}")
    return [found[n.lower()] for n in dict.fromkeys(wanted)]


def send(
    session: Session,
    who: Principal,
    key: str,
    notice: Notice,
    names: Sequence[str] = (),
    tree: RoutingTree | None = None,
    secrets: Notify | None = None,
) -> list[dict[str, Any]]:
    """Queue `notice` for each customer, or nothing at all; a timeline entry and an audit row say so."""
    who.require(*service.WRITERS)
    text = notices.render(session, who, key, notice)
    incident = service.get(session, who, key)
    receiver = customer_receiver(tree or default_routes())
    customers = _customers(session, incident, names)
    places = {c.name: receiver.destination({"customer": c.name}, secrets) for c in customers}
    missing = [why for url, why in places.values() if url is None]
    if missing:
        raise InvalidInput(f"{incident.key}: nothing sent: " + "; ".join(missing))
    event = service.add_event(
        session, incident, who.actor, "notice", f"{notice.label} sent to {', '.join(places)}"
    )
    now = clock.now()
    rows = [
        {
            "receiver": receiver.name,
            "kind": receiver.kind,
            "destination": places[c.name][0],
            "dedup_key": f"{incident.key}/{notice.value}/{event.id}/{c.id}",
            "action": "notice",
            "payload": {"text": text},
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for c in customers
    ]
    session.execute(insert(Outbox), rows)
    change = {"notice": notice.value, "customers": list(places), "event": event.id}
    record(session, who.actor, Change("security_incident.notice", "security_incident", incident.key, change))
    return sent(session, incident)


def sent(session: Session, incident: SecurityIncident) -> list[dict[str, Any]]:
    """The notices queued for `incident`, newest first, with where each delivery stands."""
    rows = session.execute(
        select(Outbox).where(Outbox.dedup_key.like(f"{incident.key}/%")).order_by(Outbox.id.desc())
    ).scalars()
    names = dict(session.execute(select(Customer.id, Customer.name)).all())
    out = []
    for row in rows:
        _, notice, _, customer_id = row.dedup_key.split("/")
        out.append(
            {
                "id": row.id,
                "notice": Notice(notice),
                "customer": names.get(int(customer_id), customer_id),
                "status": row.status,
                "attempts": row.attempts,
                "queued_at": row.created_at,
                "delivered_at": row.delivered_at,
                "last_error": row.last_error,
            }
        )
    return out
