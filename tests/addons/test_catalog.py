"""The catalog is checked at load, and every schema-invalid setting is refused naming its pointer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from fleetops.addons.catalog import catalog, parse
from fleetops.addons.pointer import pointer_of
from fleetops.errors import InvalidInput

BASE = {"default": False, "orchestrators": ["kubernetes"]}


def test_a_schema_that_is_not_a_schema_is_refused_at_load_naming_where():
    bad = {
        "x": {**BASE, "versions": {"1.0.0": {"schema": {"type": "object", "properties": {"a": {"type": 5}}}}}}
    }
    with pytest.raises(InvalidInput, match=r"/x/versions/1.0.0/schema/properties/a/type"):
        parse(bad)


def test_an_upgrade_from_a_version_that_does_not_exist_is_refused_at_load():
    bad = {"x": {**BASE, "versions": {"2.0.0": {"upgrade_from": {"1.0.0": []}}}}}
    with pytest.raises(InvalidInput, match=r"/x/versions/2.0.0/upgrade_from/1.0.0: no such version"):
        parse(bad)


def test_an_orchestrator_fleetops_does_not_know_is_refused_at_load():
    with pytest.raises(ValueError, match="nomad"):
        parse({"x": {**BASE, "orchestrators": ["nomad"], "versions": {"1.0.0": {}}}})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 100) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


@pytest.mark.parametrize("name", ["advanced-metrics", "nvsentinel", "remediation"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_invalid_setting_is_refused_with_its_pointer_and_valid_ones_pass(name, data):
    version = catalog()[name].latest
    keys = list(version.schema["properties"]) + ["unknown"]
    settings_ = data.draw(st.dictionaries(st.sampled_from(keys), JSON, max_size=4))
    errors = list(Draft202012Validator(version.schema).iter_errors(settings_))
    if not errors:
        version.check(settings_, "t")
        return
    with pytest.raises(InvalidInput) as refused:
        version.check(settings_, "t")
    for error in errors:
        assert pointer_of(("settings", *error.absolute_path)) in refused.value.message
