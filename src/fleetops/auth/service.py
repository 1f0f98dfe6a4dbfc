"""Issuing and checking API tokens: `fo_<prefix>_<secret>`, of which only SHA-256(secret) is stored.

Checked tokens are remembered in-process for `CACHE_TTL_S` (60 s), keyed by SHA-256 of the whole token:
at CB3 every one of 10,000 agents posts every 30 s, so the lookup was a query per request; a TTL shorter
than that interval would never hit for agents (each is seen once per 30 s), hence 60 s. The price: a
token revoked (or its row deleted) in another process keeps working in this one for up to `CACHE_TTL_S`;
`revoke_token` evicts it at once from the process that revokes. Failures are never cached, so a new token
works immediately and a wrong secret is refused every time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.auth.choices import Role
from fleetops.auth.models import ApiToken
from fleetops.auth.principal import Principal
from fleetops.errors import InvalidInput, Unauthenticated

PREFIX = "fo"
CACHE_TTL_S = 60.0
CACHE_MAX = 100_000  # well above a fleet's token count; past it the cache starts over, never grows unbounded
# SHA-256(token) → (expiry on time.monotonic(), token prefix, principal). Real time, not `clock`: a TTL
# bounds how stale a process's view of revocations may get, which fleet (simulated) time says nothing of.
_cache: dict[bytes, tuple[float, str, Principal]] = {}
_cache_lock = threading.Lock()


def _hash(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    role: Role
    token: str


def create_token(
    session: Session,
    actor: str,
    *,
    name: str,
    role: Role,
    customer_id: int | None = None,
    supplier_id: int | None = None,
    node_id: int | None = None,
) -> IssuedToken:
    """Issue a token; the plaintext is returned once and never stored."""
    bindings = {Role.CUSTOMER: customer_id, Role.SUPPLIER: supplier_id, Role.AGENT: node_id}
    if role in bindings and bindings[role] is None:
        raise InvalidInput(f"token {name!r}: role {role.value} needs its {role.value} binding")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        role=role,
        customer_id=customer_id,
        supplier_id=supplier_id,
        node_id=node_id,
    )
    session.add(row)
    session.flush()
    record(session, actor, Change("token.create", "api_token", name, {"role": role.value, "prefix": prefix}))
    return IssuedToken(row.id, name, role, f"{PREFIX}_{prefix}_{secret}")


def authenticate(session: Session, token: str) -> Principal:
    """The principal a token stands for; cached for `CACHE_TTL_S` (see the module docstring)."""
    key, now = hashlib.sha256(token.encode()).digest(), time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[2]
    principal = _authenticate(session, token)
    with _cache_lock:
        if len(_cache) >= CACHE_MAX:
            _cache.clear()
        _cache[key] = (now + CACHE_TTL_S, token.split("_", 2)[1], principal)
    return principal


def forget_tokens(prefix: str | None = None) -> None:
    """Drop cached principals (of one token prefix, or all): revocation takes effect here at once."""
    with _cache_lock:
        if prefix is None:
            _cache.clear()
        else:
            for key in [k for k, (_, p, _) in _cache.items() if p == prefix]:
                del _cache[key]


# Built once, read as plain rows: on a cache miss the check costs one indexed lookup, no ORM identity map.
_BY_PREFIX = select(
    ApiToken.secret_hash,
    ApiToken.revoked_at,
    ApiToken.role,
    ApiToken.name,
    ApiToken.customer_id,
    ApiToken.supplier_id,
    ApiToken.node_id,
).where(ApiToken.prefix == bindparam("prefix"))


def _authenticate(session: Session, token: str) -> Principal:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise Unauthenticated("malformed API token")
    row = session.connection().execute(_BY_PREFIX, {"prefix": parts[1]}).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, _hash(parts[2])):
        raise Unauthenticated("unknown or revoked API token")
    return Principal(row.role, row.name, row.customer_id, row.supplier_id, row.node_id)


def revoke_token(session: Session, actor: str, prefix: str) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
    if row is None:
        raise InvalidInput(f"token prefix {prefix!r}: no such token")
    row.revoked_at = clock.now()
    forget_tokens(prefix)
    record(session, actor, Change("token.revoke", "api_token", row.name, {"prefix": prefix}))

