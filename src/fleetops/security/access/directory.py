"""The directory of people (CSV: user, name, role, teleport_roles, mfa): each person's job role, which
decides whether standing production access is theirs to have, their Teleport roles and MFA enrolment."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from fleetops.security.access.files import refuse

COLUMNS = ("user", "name", "role", "teleport_roles", "mfa")
YES, NO = {"yes", "true", "1", "y"}, {"no", "false", "0", "n", ""}


@dataclass(frozen=True)
class Person:
    user: str
    name: str
    role: str
    teleport_roles: tuple[str, ...]
    mfa: bool


def parse(file: str, text: str, known_roles: set[str]) -> dict[str, Person]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise refuse(
            file, "line 1", f"missing column(s) {', '.join(missing)} (expected {', '.join(COLUMNS)})"
        )
    people: dict[str, Person] = {}
    for row in reader:
        line = f"line {reader.line_num}"
        user, role = (row["user"] or "").strip().lower(), (row["role"] or "").strip().lower()
        if not user or not role:
            raise refuse(file, line, "field user and field role may not be empty")
        if user in people:
            raise refuse(file, line, f"field user: {user!r} listed twice")
        roles = tuple(r.strip() for r in (row["teleport_roles"] or "").split(";") if r.strip())
        unknown = [r for r in roles if r not in known_roles]
        if unknown:
            raise refuse(file, line, f"field teleport_roles: no Teleport role {', '.join(unknown)}")
        mfa = (row["mfa"] or "").strip().lower()
        if mfa not in YES | NO:
            raise refuse(file, line, f"field mfa: {mfa!r} is not yes or no")
        people[user] = Person(user, (row["name"] or "").strip(), role, roles, mfa in YES)
    return people
