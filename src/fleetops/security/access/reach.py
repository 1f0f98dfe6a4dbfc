"""One way into production: who, through which system and rule, onto what, as which login.

Both readers (`tailscale`, `teleport`) produce these, so the flags and the report never care which
system a path came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DURATION = re.compile(r"(\d+(?:\.\d+)?)([hms])")
UNIT_HOURS = {"h": 1.0, "m": 1 / 60, "s": 1 / 3600}


@dataclass(frozen=True)
class Reach:
    user: str
    system: str  # tailscale | teleport
    via: str  # the rule that gives it: "ssh[2] group:prod-ops", "role prod-ops", "request prod-root"
    target: str  # "tag:prod", "env=prod", "*=*"
    login: str | None  # the SSH login; None for network reach or tag ownership
    standing: bool  # False: only after an access request is granted
    wildcard: bool  # the target is every node, not production's own labels or tags
    session_hours: float | None  # how long one authentication lasts; None: no re-check at all


def hours(text: str) -> float | None:
    """Go-style durations as Tailscale and Teleport write them (`12h`, `8h0m0s`, `90m`); None if not one."""
    parts = DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    return sum(float(n) * UNIT_HOURS[u] for n, u in parts)
