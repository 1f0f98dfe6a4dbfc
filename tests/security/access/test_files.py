"""Bad input: each file refused naming itself and the JSON pointer (or line) of the mistake."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetops.errors import InvalidInput
from fleetops.security.access.hujson import HujsonError, loads
from fleetops.security.access.policy import ReviewPolicy
from fleetops.security.access.service import judge
from tests.security.access.conftest import files, texts

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_any_json_reads_the_same_as_hujson(value):
    import json

    assert loads(json.dumps(value, indent=1)) == value


def test_comments_and_trailing_commas_are_accepted():
    assert loads('{"a": [1, 2,], /* b */ "u": "http://x//y", // c\n}') == {"a": [1, 2], "u": "http://x//y"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"acls": [{"src": ["a"] "dst": []}]}', "/acls/0/src"),
        ('{"groups": {"group:a": ["x",', "/groups/group:a"),
        ('{"ssh": [], "ssh": []}', "/ssh"),
        ('{"a": /* never closed', "/a"),
        ('{"a~b/c": tru}', "/a~0b~1c"),
    ],
)
def test_a_syntax_error_names_its_pointer(text, where):
    with pytest.raises(HujsonError) as caught:
        loads(text)
    assert caught.value.pointer == where


@pytest.mark.parametrize(
    ("key", "find", "replace", "message"),
    [
        (
            "tailnet",
            '"group:prod-ops", "group:sre"]',
            '"group:prod-opz", "group:sre"]',
            "tailnet.hujson: /acls/0/src/0: undefined group 'group:prod-opz'",
        ),
        ("tailnet", '"checkPeriod": "8h"', '"checkPeriod": "8 hours"', "tailnet.hujson: /ssh/0/checkPeriod:"),
        (
            "tailnet",
            '{"action": "accept", "src": ["group:eng"]',
            '{"action": "allow", "src": ["group:eng"]',
            "tailnet.hujson: /acls/1/action:",
        ),
        ("tailnet", '\t"grants": [', '\t"grants" [', "tailnet.hujson: /grants (line"),
        (
            "teleport_roles",
            "version: v7\nmetadata:\n  name: dev",
            "version: v9\nmetadata:\n  name: dev",
            "teleport_roles.yaml: /3/version:",
        ),
        (
            "teleport_roles",
            "max_session_ttl: 4h0m0s",
            "max_session_ttl: four hours",
            "teleport_roles.yaml: /4/spec/options/max_session_ttl:",
        ),
        ("teleport_roles", "logins: [debug]", "logins: [debug", "teleport_roles.yaml: line"),
        (
            "users",
            "Heidi Novak,ops,ops-prod,no",
            "Heidi Novak,ops,ops-prod,maybe",
            "users.csv: line 9: field mfa: 'maybe'",
        ),
        (
            "users",
            "Rupert Hale,ml-research,,yes",
            "Rupert Hale,ml-research,prod-everything,yes",
            "users.csv: line 16: field teleport_roles: no Teleport role prod-everything",
        ),
        (
            "users",
            "user,name,role,teleport_roles,mfa",
            "user,name,teleport_roles,mfa",
            "users.csv: line 1: missing column(s) role",
        ),
    ],
)
def test_a_bad_file_is_refused_naming_file_and_place(key, find, replace, message):
    text = texts()[key]
    assert find in text
    with pytest.raises(InvalidInput) as caught:
        judge(files(**{key: text.replace(find, replace, 1)}), ReviewPolicy())
    assert caught.value.message.startswith(message)
