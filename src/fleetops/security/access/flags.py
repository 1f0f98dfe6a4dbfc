"""The review's verdicts: which people hold production access they should not, or hold it unsafely.

Each flag is one (user, kind) with the paths that raised it, so a person flagged for standing access
through three rules is one finding to fix, not three.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fleetops.security.access.choices import FlagKind
from fleetops.security.access.directory import Person
from fleetops.security.access.policy import ReviewPolicy
from fleetops.security.access.reach import Reach

K = FlagKind


@dataclass(frozen=True)
class Flag:
    user: str
    kind: FlagKind
    detail: str


def _rules(people: dict[str, Person], review: ReviewPolicy) -> dict[FlagKind, Callable[[Reach], bool]]:
    """One predicate per kind over a single path; a person is flagged once per kind any path raises."""

    def non_ops(r: Reach) -> bool:
        return r.user in people and people[r.user].role not in review.ops_roles

    return {
        K.UNKNOWN_USER: lambda r: r.user not in people,
        K.STANDING_PRODUCTION: lambda r: r.standing and non_ops(r),
        K.WILDCARD_ROOT: lambda r: r.wildcard and r.login == "root",
        K.LONG_SESSION: lambda r: (
            r.standing and r.session_hours is not None and r.session_hours > review.max_session_hours
        ),
        K.NO_MFA: lambda r: r.standing and r.user in people and not people[r.user].mfa,
    }


def flag(reaches: Iterable[Reach], people: dict[str, Person], review: ReviewPolicy) -> list[Flag]:
    raised: dict[tuple[str, FlagKind], list[str]] = defaultdict(list)
    rules = _rules(people, review)
    for reach in reaches:
        for kind, applies in rules.items():
            if applies(reach):
                login = f" as {reach.login}" if reach.login else ""
                raised[reach.user, kind].append(f"{reach.system} {reach.via} → {reach.target}{login}")
    return [Flag(user, kind, "; ".join(sorted(set(paths)))) for (user, kind), paths in sorted(raised.items())]
