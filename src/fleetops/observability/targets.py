"""Prometheus scrape targets from the inventory (file_sd): each node's agent or exporter labelled with
its node, cluster and customer, so every series carries its tenant from the moment it is scraped.

The labels are target labels, set by Prometheus and not by the exporter: with `honor_labels: false`
(the default) an exporter that exposes its own `customer` label sees it renamed `exported_customer`, so
no node can put its series into another tenant's view. A node in no customer's cluster gets no
`customer` label and so belongs to no tenant.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.inventory.models import Cluster, Customer, Node


def file_sd(session: Session, addresses: dict[str, str]) -> list[dict[str, Any]]:
    """Target groups for `addresses` ({hostname: "host:port"}), in hostname order."""
    query = (
        select(Node.hostname, Cluster.name, Customer.name)
        .outerjoin(Cluster, Node.cluster_id == Cluster.id)
        .outerjoin(Customer, Cluster.customer_id == Customer.id)
        .where(Node.hostname.in_(list(addresses)))
        .order_by(Node.hostname)
    )
    groups = []
    for hostname, cluster, customer in session.execute(query):
        labels = {"node": hostname} | ({"cluster": cluster} if cluster else {})
        labels |= {"customer": customer} if customer else {}
        groups.append({"targets": [addresses[hostname]], "labels": labels})
    return groups
