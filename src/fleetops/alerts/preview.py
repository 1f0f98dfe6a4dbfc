"""Where an alert with these labels would go, and why, under the policy in force (`fleetops routes test`).

An operator types the labels an alert carries (`cluster=alpha check=xid xid=79`), not the ones the
pipeline adds, so the missing incident labels are derived as ingest and classify derive them (owner from
the XID catalog, priority from the classification rules) and each derivation is shown. Whether it pages
is read from the tree itself: the routes that lead to a PagerDuty receiver, and the first of their
matchers this alert fails, so the answer stays true when an operator's tree pages on other labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fleetops.alerts.choices import Scope
from fleetops.alerts.classify import priority_of
from fleetops.alerts.ingest import owner_of
from fleetops.alerts.policy import Matcher, Receiver, Route, RoutingTree, Rules, parse_matchers
from fleetops.alerts.route import Match, matches
from fleetops.catalog import default_catalog
from fleetops.flow import Incident


@dataclass(frozen=True)
class Preview:
    labels: dict[str, str]
    derived: list[str]
    routes: list[Match]
    destinations: dict[str, str]
    page: str

    def as_json(self) -> dict[str, Any]:
        routes = [m.__dict__ | {"group_by": list(m.group_by)} for m in self.routes]
        return {
            "labels": self.labels,
            "derived": self.derived,
            "routes": routes,
            "destinations": self.destinations,
            "page": self.page,
        }


def _owner_source(labels: dict[str, str]) -> str:
    xid = labels.get("xid", "")
    if xid.isdigit():
        return f"{default_catalog().lookup(int(xid)).title} in the XID catalog"
    return "no owner label and no XID to look up"


def incident_labels(given: dict[str, str], rules: Rules) -> tuple[dict[str, str], list[str]]:
    """The labels the incident would be routed on, and one sentence per label that was not given."""
    labels, derived = dict(given), []
    if "alertname" not in labels and "check" in labels:
        labels["alertname"] = labels["check"]
        derived.append(f'alertname="{labels["alertname"]}": a finding\'s check is its alert name')
    if "owner" not in labels:
        labels["owner"] = owner_of(labels)
        derived.append(f'owner="{labels["owner"]}": {_owner_source(labels)}')
    down = labels.get("alertname") in rules.classification.p0_checks and "node" not in labels
    if "scope" not in labels:
        labels["scope"] = Scope.CLUSTER.value if down else Scope.NODE.value
        derived.append(
            f'scope="{labels["scope"]}": '
            + (
                "a P0 check with no node is a system down"
                if down
                else "one alert is a node incident until enough nodes of a rack or cluster widen it"
            )
        )
    if "priority" not in labels:
        incident = Incident(
            key="preview",
            scope=labels["scope"],
            subject="",
            owner=labels["owner"],
            status="open",
            labels=labels,
            system_down=down and labels["scope"] == Scope.CLUSTER.value,
        )
        priority, why = priority_of(incident, rules.classification)
        labels["priority"] = priority.value
        derived.append(f'priority="{priority.value}": {why}')
    return labels, derived


def _pager_routes(
    route: Route, pagers: set[str], path: str = "root", chain: tuple[Matcher, ...] = ()
) -> list[tuple[str, str, tuple[Matcher, ...]]]:
    """Every route naming a PagerDuty receiver, with all the matchers on the way down to it."""
    chain = chain + tuple(parse_matchers(route.matchers))
    found = [(path, route.receiver or "", chain)] if route.receiver in pagers else []
    for i, child in enumerate(route.routes):
        found += _pager_routes(child, pagers, f"{path}.routes[{i}]", chain)
    return found


def _why_not(path: str, receiver: str, chain: tuple[Matcher, ...], labels: dict[str, str]) -> str:
    failed = next((m for m in chain if not m.matches(labels)), None)
    if failed is None:
        return f"{receiver} ({path}) matches, but an earlier route without `continue` or a deeper one wins"
    have = f'{failed.name}="{labels[failed.name]}"' if failed.name in labels else f"no {failed.name} label"
    return f"{receiver} ({path}) needs {failed}, this alert has {have}"


def page_verdict(tree: RoutingTree, labels: dict[str, str], found: list[Match]) -> str:
    """`page: ...` naming the pager routes taken, or `no page: ...` naming what each pager route lacks."""
    pagers = {r.name for r in tree.receivers if r.kind == "pagerduty"}
    hits = [m for m in found if m.receiver in pagers]
    if hits:
        return "page: " + "; ".join(f"{m.receiver} via {m.path}" for m in hits)
    if not pagers:
        return "no page: the routing tree has no PagerDuty receiver"
    reasons = [_why_not(path, name, chain, labels) for path, name, chain in _pager_routes(tree.route, pagers)]
    return "no page: " + "; ".join(reasons)


def _destination(receiver: Receiver, labels: dict[str, str]) -> str:
    url, why = receiver.destination(labels)
    if url:
        return url
    if receiver.by_label and receiver.by_label not in labels:
        label = receiver.by_label
        return f"the webhook of the alert's {label} (from the inventory); give {label}=NAME to check it"
    return f"nothing can be sent: {why}"


def preview(tree: RoutingTree, rules: Rules, given: dict[str, str]) -> Preview:
    labels, derived = incident_labels(given, rules)
    found = matches(tree, labels)
    destinations = {m.receiver: _destination(tree.receiver(m.receiver), labels) for m in found}
    return Preview(labels, derived, found, destinations, page_verdict(tree, labels, found))
