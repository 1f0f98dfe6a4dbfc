"""What every stage shares for one pipeline run: the session, the time, the policy and the topology."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.alerts.policy import RoutingTree, Rules, default_routes, default_rules


@dataclass
class Context:
    session: Session
    now: datetime = field(default_factory=clock.now)
    rules: Rules = field(default_factory=default_rules)
    routes: RoutingTree = field(default_factory=default_routes)
    actor: str = "fleetops:alerts"
    # node id → {rack_id, cluster_id, ...}, filled by ingest for the nodes it saw
    nodes: dict[int, dict[str, Any]] = field(default_factory=dict)
    # cluster id → labels of the cluster and its node counts, filled by ingest
    clusters: dict[int, dict[str, Any]] = field(default_factory=dict)
    rack_sizes: dict[int, int] = field(default_factory=dict)
    stopped: Counter[str] = field(default_factory=Counter)
    rejected: list[str] = field(default_factory=list)

    def stop(self, item: Any, reason: str, kind: str) -> None:
        """Record why an item goes no further; `kind` is the counted category (e.g. "duplicate")."""
        item.stopped = reason
        self.stopped[kind] += 1
