"""The in-process token cache: a query saved per request, revocation visible at once here, within the TTL
elsewhere, and never a stale "no" (failures are not cached)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from fleetops.auth import service
from fleetops.auth.choices import Role
from fleetops.auth.models import ApiToken
from fleetops.errors import Unauthenticated


@pytest.fixture
def issued(database):
    service.forget_tokens()
    with database.transaction() as session:
        made = service.create_token(session, "test", name="ops", role=Role.OPERATOR)
    yield made
    service.forget_tokens()


def _check(database, token: str):
    with database.transaction() as session:
        return service.authenticate(session, token)


def test_revoking_here_takes_effect_at_once(database, issued):
    assert _check(database, issued.token).name == "ops"
    with database.transaction() as session:
        service.revoke_token(session, "test", issued.token.split("_")[1])
    with pytest.raises(Unauthenticated):
        _check(database, issued.token)


def test_revoked_elsewhere_works_until_the_ttl_then_not(database, issued, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(service.time, "monotonic", lambda: now[0])
    assert _check(database, issued.token).role is Role.OPERATOR
    with database.transaction() as session:  # another process revokes: this one's cache does not know
        session.execute(update(ApiToken).where(ApiToken.name == "ops").values(revoked_at=ApiToken.created_at))
    assert _check(database, issued.token).name == "ops"
    now[0] += service.CACHE_TTL_S + 0.1
    with pytest.raises(Unauthenticated):
        _check(database, issued.token)


def test_a_wrong_secret_is_never_served_from_the_cache(database, issued):
    _check(database, issued.token)
    with pytest.raises(Unauthenticated):
        _check(database, issued.token[:-2] + "xx")
