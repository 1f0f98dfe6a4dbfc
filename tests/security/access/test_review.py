"""The access report on the fixture tailnet: every planted over-privileged person found, nobody else."""

from __future__ import annotations

import pytest

from fleetops.security.access.choices import FlagKind
from fleetops.security.access.policy import ReviewPolicy
from fleetops.security.access.service import judge
from tests.security.access.conftest import files, texts

K = FlagKind
D = "@gpucloud.example"
# Each planted problem of the fixture files, and why it is one.
PLANTED = {
    ("dan" + D, K.STANDING_PRODUCTION),  # finance, left in group:prod-ops after a migration
    ("erin" + D, K.STANDING_PRODUCTION),  # engineering, holds legacy-prod-debug instead of requesting it
    ("judy" + D, K.STANDING_PRODUCTION),  # contractor, may tag devices tag:prod
    ("mallory" + D, K.STANDING_PRODUCTION),  # data, a one-off Tailscale SSH rule as root never removed
    ("mallory" + D, K.LONG_SESSION),  # ... whose check period is 24 h
    ("frank" + D, K.WILDCARD_ROOT),  # ops, break-glass-all: root on '*': '*'
    ("grace" + D, K.LONG_SESSION),  # sre, sre-oncall-long: max_session_ttl 24h
    ("heidi" + D, K.NO_MFA),  # ops, not enrolled in MFA
    ("ivan" + D, K.UNKNOWN_USER),  # in group:prod-ops, gone from the directory
}


def test_every_planted_problem_is_found_and_nothing_else():
    verdict = judge(files(), ReviewPolicy())
    assert {(f.user, f.kind) for f in verdict.flags} == PLANTED


def test_who_reaches_production_as_which_login():
    verdict = judge(files(), ReviewPolicy())
    logins = {(r.user, r.system, r.login) for r in verdict.reaches if r.standing}
    assert ("bob" + D, "teleport", "root") in logins
    assert ("alice" + D, "tailscale", "ubuntu") in logins
    assert ("alice" + D, "teleport", "ubuntu") in logins
    # prod-debug denies root; carol only may request it, as debug, never standing
    requestable = {(r.user, r.login) for r in verdict.reaches if not r.standing}
    assert ("carol" + D, "debug") in requestable
    assert not any(r.user == "carol" + D for r in verdict.reaches if r.standing)
    # contractor-staging's deny of env=prod wins over its env='*'; devices (tag:monitoring) are nobody
    assert not any(r.via.startswith("role contractor-staging") for r in verdict.reaches)
    assert not any(r.user.startswith("tag:") for r in verdict.reaches)
    assert verdict.summary()["with_production"] == 11  # the ops and sre people and the planted


def test_the_twelve_hour_edge_is_allowed_and_a_minute_more_is_not():
    sre = texts()["teleport_roles"].replace("max_session_ttl: 12h0m0s", "max_session_ttl: 12h1m0s")
    flagged = {(f.user, f.kind) for f in judge(files(teleport_roles=sre), ReviewPolicy()).flags}
    assert flagged - PLANTED == {("bob" + D, K.LONG_SESSION)}


def test_fixing_the_files_clears_the_flags():
    fixed = (
        texts()["tailnet"]
        .replace('"dan@gpucloud.example", // added', "// removed")
        .replace('"ivan@gpucloud.example", // left', "// removed")
        .replace(', "judy@gpucloud.example"]', "]")
        .replace('"src": ["mallory@gpucloud.example"]', '"src": ["group:sre"]')
        .replace('"checkPeriod": "24h"', '"checkPeriod": "4h"')
    )
    users = (
        texts()["users"]
        .replace("dev;legacy-prod-debug", "dev")
        .replace("Heidi Novak,ops,ops-prod,no", "Heidi Novak,ops,ops-prod,yes")
    )
    roles = (
        texts()["teleport_roles"]
        .replace("max_session_ttl: 24h0m0s", "max_session_ttl: 8h0m0s")
        .replace("'*': '*'", "env: prod")
    )
    assert judge(files(tailnet=fixed, users=users, teleport_roles=roles), ReviewPolicy()).flags == []


@pytest.mark.parametrize(
    "ops", [["ops", "sre", "finance"], ["ops", "sre", "contractor", "data", "engineering", "finance"]]
)
def test_ops_roles_are_policy(ops):
    flagged = {
        f.user for f in judge(files(), ReviewPolicy(ops_roles=ops)).flags if f.kind is K.STANDING_PRODUCTION
    }
    assert "dan" + D not in flagged
    assert ("judy" + D in flagged) == ("contractor" not in ops)
