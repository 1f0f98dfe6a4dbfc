"""The routing tree: Alertmanager's matching semantics, timers, and the policy files' validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetops.alerts.policy import (
    P0_MAX_GROUP_WAIT_S,
    Matcher,
    RoutingTree,
    default_routes,
    load_routes,
    load_rules,
)
from fleetops.alerts.route import matches
from fleetops.errors import InvalidInput


def receivers(labels: dict[str, str], tree: RoutingTree | None = None) -> list[str]:
    return [m.receiver for m in matches(tree or default_routes(), labels)]


def test_p0_hardware_incident_pages_and_still_reaches_the_supplier() -> None:
    assert receivers({"priority": "P0", "owner": "hardware"}) == [
        "oncall-pager",
        "supplier-tickets",
        "supplier-slack",
    ]


def test_customer_fault_stops_at_the_customer_channel() -> None:
    assert receivers({"priority": "P3", "owner": "application"}) == ["customer-slack"]
    assert receivers({"priority": "P3", "owner": "customer"}) == ["customer-slack"]


def test_unmatched_labels_fall_back_to_the_root_receiver() -> None:
    assert receivers({"owner": "martian"}) == ["ops-tickets"]


def test_children_inherit_timers_and_p0_overrides_them() -> None:
    pager, ticket, _ = matches(default_routes(), {"priority": "P0", "owner": "hardware"})
    assert (pager.group_wait, pager.group_interval, pager.repeat_interval) == (10, 60, 3600)
    assert (ticket.group_wait, ticket.group_interval, ticket.repeat_interval) == (30, 300, 14400)
    assert pager.group_wait <= P0_MAX_GROUP_WAIT_S
    assert ticket.group_by == ("incident",)


def test_nested_routes_take_the_deepest_match(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text("""
route:
  receiver: a
  routes:
    - matchers: ['cluster="alpha"']
      receiver: b
      group_by: [cluster]
      routes:
        - matchers: ['priority="P0"']
          receiver: c
receivers: [{name: a, kind: slack}, {name: b, kind: slack},
            {name: c, kind: pagerduty, url: "http://x"}]
""")
    tree = load_routes(path)
    assert receivers({"cluster": "alpha", "priority": "P0"}, tree) == ["c"]
    assert receivers({"cluster": "alpha", "priority": "P2"}, tree) == ["b"]
    assert matches(tree, {"cluster": "alpha", "priority": "P0"})[0].group_by == ("cluster",)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("route: {receiver: nobody}\nreceivers: []", "'nobody' is not defined"),
        ("route: {receiver: a, group_wait: soon}\nreceivers: [{name: a, kind: slack}]", "duration 'soon'"),
        (
            "route: {receiver: a, matchers: ['x=~(']}\nreceivers: [{name: a, kind: slack}]",
            "bad regular expression",
        ),
        ("route: {receiver: a}\nreceivers: [{name: a, kind: fax}]", "kind"),
        ("route: [", "policy file"),
    ],
)
def test_bad_routing_files_are_refused_at_load_naming_the_problem(
    tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput, match="policy file") as error:
        load_routes(path)
    assert words in error.value.message


def test_bad_rules_are_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("classification: {p0_cluster_share: 0}\n")
    with pytest.raises(InvalidInput, match="p0_cluster_share"):
        load_rules(path)
    path.write_text("correlation: {rack: {min_nodes: 1}}\n")
    with pytest.raises(InvalidInput, match="min_nodes"):
        load_rules(path)


@pytest.mark.parametrize(
    ("text", "labels", "hit"),
    [
        ('a="x"', {"a": "x"}, True),
        ('a!="x"', {"a": "x"}, False),
        ('a=~"x|y"', {"a": "y"}, True),
        ('a!~"x|y"', {"a": "y"}, False),
        ('a=~"x"', {"a": "xx"}, False),
        ('a=""', {}, True),
    ],
)
def test_matchers_follow_alertmanager(text: str, labels: dict[str, str], hit: bool) -> None:
    assert Matcher.parse(text).matches(labels) is hit


@given(st.text(max_size=40))
def test_matcher_parser_never_crashes_on_junk(text: str) -> None:
    try:
        matcher = Matcher.parse(text)
    except ValueError:
        return
    assert matcher.matches({matcher.name: matcher.value}) in (True, False)
