"""The Tailscale policy file (HuJSON): groups, tagOwners, acls, grants and ssh, read into `Reach`es
onto production devices (those carrying a production tag).

Sources that name devices rather than people (`tag:...`, addresses, `autogroup:tagged`) reach nothing
as a person; `autogroup:member` and `*` are every member of the directory. Tailscale's admin-console
roles (`autogroup:admin`, `autogroup:owner`...) are not in the file and so are not expanded here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from fleetops.security.access.files import refuse, refuse_invalid
from fleetops.security.access.hujson import HujsonError, loads
from fleetops.security.access.policy import ReviewPolicy
from fleetops.security.access.reach import Reach, hours

EVERYONE = {"*", "autogroup:member"}
DEFAULT_CHECK_HOURS = 12.0  # Tailscale's default checkPeriod


class Acl(BaseModel):
    action: Literal["accept"]
    src: list[str]
    dst: list[str]


class Grant(BaseModel):
    src: list[str]
    dst: list[str]
    ip: list[str] = []
    app: dict[str, object] = {}


class SshRule(BaseModel):
    action: Literal["accept", "check"]
    src: list[str]
    dst: list[str]
    users: list[str]
    checkPeriod: str | None = None  # noqa: N815 - the file's own key

    @field_validator("checkPeriod")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value is not None and value != "always" and hours(value) is None:
            raise ValueError(f"checkPeriod {value!r} is not a duration like 12h or 'always'")
        return value


class TailnetPolicy(BaseModel):
    model_config = ConfigDict(extra="allow")  # hosts, nodeAttrs, tests...: not about who reaches what
    groups: dict[str, list[str]] = {}
    tagOwners: dict[str, list[str]] = {}  # noqa: N815
    acls: list[Acl] = []
    grants: list[Grant] = []
    ssh: list[SshRule] = []

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name in value:
            if not name.startswith("group:"):
                raise ValueError(f"group name {name!r} must start with 'group:'")
        return value


def parse(file: str, text: str) -> TailnetPolicy:
    try:
        data = loads(text)
    except HujsonError as exc:
        raise refuse(file, exc.where, exc.reason) from None
    try:
        policy = TailnetPolicy.model_validate(data)
    except ValidationError as exc:
        raise refuse_invalid(file, exc) from None
    _check_groups(file, policy)
    return policy


def _check_groups(file: str, policy: TailnetPolicy) -> None:
    """A rule naming a group the file does not define would silently reach nobody: refuse it."""
    sections = {"acls": policy.acls, "grants": policy.grants, "ssh": policy.ssh}
    for section, rules in sections.items():
        for index, rule in enumerate(rules):
            for position, source in enumerate(rule.src):
                if source.startswith("group:") and source not in policy.groups:
                    raise refuse(file, f"/{section}/{index}/src/{position}", f"undefined group {source!r}")


def _people(policy: TailnetPolicy, sources: list[str], members: set[str]) -> Iterator[tuple[str, str]]:
    """(user, through) for each person a rule's sources name."""
    for source in sources:
        if source in EVERYONE:
            yield from ((user, source) for user in sorted(members))
        elif source.startswith("group:"):
            yield from ((user.lower(), source) for user in policy.groups[source])
        elif "@" in source and not source.startswith(("tag:", "autogroup:")):
            yield source.lower(), "user"


def _production(target: str, review: ReviewPolicy) -> tuple[bool, bool]:
    """(reaches production, as a wildcard) for a destination host, tag or `*`."""
    if target == "*":
        return True, True
    return target in review.production_tags, False


def reaches(policy: TailnetPolicy, members: set[str], review: ReviewPolicy) -> list[Reach]:
    found: list[Reach] = []

    def add(sources: list[str], via: str, target: str, login: str | None, session: float | None) -> None:
        prod, wildcard = _production(target, review)
        if prod:
            for user, through in _people(policy, sources, members):
                found.append(
                    Reach(user, "tailscale", f"{via} {through}", target, login, True, wildcard, session)
                )

    for i, acl in enumerate(policy.acls):
        for dst in acl.dst:
            add(acl.src, f"acls[{i}]", dst.rsplit(":", 1)[0], None, None)
    for i, grant in enumerate(policy.grants):
        for dst in grant.dst:
            add(grant.src, f"grants[{i}]", dst, None, None)
    for i, rule in enumerate(policy.ssh):
        session = _check_hours(rule) if rule.action == "check" else None
        for dst in rule.dst:
            for login in rule.users:
                add(rule.src, f"ssh[{i}]", dst, login, session)
    for tag, owners in policy.tagOwners.items():
        add(owners, "tagOwners", tag, None, None)
    return found


def _check_hours(rule: SshRule) -> float:
    if rule.checkPeriod == "always":
        return 0.0
    return DEFAULT_CHECK_HOURS if rule.checkPeriod is None else hours(rule.checkPeriod) or 0.0
