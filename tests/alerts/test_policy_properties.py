"""Routing trees and correlation rules as an operator may mistype them: any file loads or is one
`InvalidInput` naming the file, never another exception; the shipped files load and survive a dump."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetops.alerts import policy
from fleetops.errors import InvalidInput

SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LOADERS = st.sampled_from([policy.load_routes, policy.load_rules])
YAMLISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=15,
)


def _loads_or_refuses(load, path: Path) -> None:
    try:
        load(path)
    except InvalidInput as exc:
        assert exc.message.startswith(f"policy file {path}: ")


@SETTINGS
@given(raw=st.binary(max_size=300), load=LOADERS)
def test_any_bytes_load_or_are_refused_naming_the_file(tmp_path, raw, load):
    path = tmp_path / "policy.yaml"
    path.write_bytes(raw)
    _loads_or_refuses(load, path)


@SETTINGS
@given(data=YAMLISH, load=LOADERS)
def test_any_yaml_document_loads_or_is_refused_naming_the_file(tmp_path, data, load):
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    _loads_or_refuses(load, path)


@SETTINGS
@given(
    section=st.sampled_from(["route", "receivers"]),
    junk=YAMLISH,
)
def test_a_mangled_section_of_the_shipped_tree_is_refused(tmp_path, section, junk):
    shipped = yaml.safe_load(policy.routes_path().read_text())
    path = tmp_path / "routes.yaml"
    path.write_text(yaml.safe_dump(shipped | {section: junk}))
    _loads_or_refuses(policy.load_routes, path)


def test_the_shipped_tree_and_rules_round_trip_through_yaml(tmp_path):
    for load, shipped in (
        (policy.load_routes, policy.routes_path()),
        (policy.load_rules, policy.rules_path()),
    ):
        first = load(shipped)
        again = tmp_path / shipped.name
        again.write_text(yaml.safe_dump(first.model_dump(mode="json", exclude_unset=True)))
        assert load(again) == first
