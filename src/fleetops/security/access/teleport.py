"""Teleport roles (`tctl get roles` YAML, versions v5-v8) read into `Reach`es onto production nodes.

Teleport's own rules, as its role reference states them: a role reaches a node when every key of its
`node_labels` matches the node's labels; `deny` in any of a user's roles wins over `allow` in another;
the shortest `max_session_ttl` among a user's roles wins (30h when none sets it). Roles a user may
only request (`allow.request.roles`) reach production, but not standing.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fleetops.security.access.files import refuse, refuse_invalid
from fleetops.security.access.policy import ReviewPolicy
from fleetops.security.access.reach import Reach, hours

DEFAULT_TTL_HOURS = 30.0


class Request(BaseModel):
    model_config = ConfigDict(extra="allow")
    roles: list[str] = []


class Conditions(BaseModel):
    model_config = ConfigDict(extra="allow")
    logins: list[str] = []
    node_labels: dict[str, str | list[str]] = {}
    request: Request = Request()

    def labels(self) -> dict[str, list[str]]:
        return {k: [v] if isinstance(v, str) else v for k, v in self.node_labels.items()}


class Options(BaseModel):
    model_config = ConfigDict(extra="allow")
    max_session_ttl: str | None = None

    @field_validator("max_session_ttl")
    @classmethod
    def _ttl(cls, value: str | None) -> str | None:
        if value is not None and hours(value) is None:
            raise ValueError(f"max_session_ttl {value!r} is not a duration like 8h0m0s")
        return value


class Spec(BaseModel):
    model_config = ConfigDict(extra="allow")
    allow: Conditions = Conditions()
    deny: Conditions = Conditions()
    options: Options = Options()


class Metadata(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = Field(min_length=1)


class Role(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: Literal["role"]
    version: Literal["v5", "v6", "v7", "v8"]
    metadata: Metadata
    spec: Spec = Spec()

    @property
    def ttl_hours(self) -> float:
        ttl = self.spec.options.max_session_ttl
        return DEFAULT_TTL_HOURS if ttl is None else hours(ttl) or DEFAULT_TTL_HOURS


def parse(file: str, text: str) -> dict[str, Role]:
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "/"
        raise refuse(file, where, f"not YAML: {getattr(exc, 'problem', exc)}") from None
    roles: dict[str, Role] = {}
    for index, document in enumerate(documents):
        try:
            role = Role.model_validate(document)
        except ValidationError as exc:
            raise refuse_invalid(file, exc, [index]) from None
        if role.metadata.name in roles:
            raise refuse(file, f"/{index}/metadata/name", f"role {role.metadata.name!r} defined twice")
        roles[role.metadata.name] = role
    return roles


def _matches(labels: dict[str, list[str]], node: dict[str, str]) -> bool:
    """Every key of the role's labels matches the node's (values are globs; `*: *` is every node)."""
    if not labels:
        return False
    for key, values in labels.items():
        if key == "*":
            if "*" not in values:
                return False
        elif key not in node or not any(fnmatchcase(node[key], v) for v in values):
            return False
    return True


def _wildcard(labels: dict[str, list[str]]) -> bool:
    return "*" in labels or any("*" in values for values in labels.values())


def reaches(user: str, names: list[str], roles: dict[str, Role], review: ReviewPolicy) -> list[Reach]:
    """The production logins `user` holds through roles `names`, standing, and the ones they may request."""
    held = [roles[n] for n in names]
    prod = review.production_labels
    if any(_matches(r.spec.deny.labels(), prod) for r in held):
        return []
    denied = {login for r in held for login in r.spec.deny.logins}
    ttl = min((r.ttl_hours for r in held), default=DEFAULT_TTL_HOURS)
    found: list[Reach] = []
    for role in held:
        found += _role_reaches(user, role, f"role {role.metadata.name}", True, denied, ttl, prod)
        for requested in role.spec.allow.request.roles:
            if requested in roles:
                via = f"request {requested} (from role {role.metadata.name})"
                other = roles[requested]
                found += _role_reaches(user, other, via, False, denied, other.ttl_hours, prod)
    return found


def _role_reaches(
    user: str, role: Role, via: str, standing: bool, denied: set[str], ttl: float, prod: dict[str, str]
) -> list[Reach]:
    labels = role.spec.allow.labels()
    if not _matches(labels, prod):
        return []
    target = ",".join(f"{k}={'|'.join(v)}" for k, v in sorted(labels.items()))
    return [
        Reach(user, "teleport", via, target, login, standing, _wildcard(labels), ttl)
        for login in role.spec.allow.logins
        if login not in denied
    ]
