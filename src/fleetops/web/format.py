"""How the console writes numbers and times: thousands separators, and "3 min ago" with the exact UTC
time on hover (a relative time alone cannot be quoted in a ticket)."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup, escape

from fleetops import clock


def thousands(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if isinstance(value, float) else f"{value:,}"


def ago_words(at: datetime, now: datetime) -> str:
    seconds = (now - at).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        words = f"{seconds:.0f} s"
    elif seconds < 3600:
        words = f"{seconds // 60:.0f} min"
    elif seconds < 86400:
        words = f"{seconds // 3600:.0f} h {seconds % 3600 // 60:.0f} min"
    else:
        words = f"{seconds // 86400:.0f} d {seconds % 86400 // 3600:.0f} h"
    return f"in {words}" if future else f"{words} ago"


def ago(at: datetime | None) -> Markup:
    """`<time>` with the relative words, the ISO time as its datetime and the exact time as its title."""
    if at is None:
        return Markup("—")
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    exact = at.strftime("%Y-%m-%d %H:%M:%S UTC")
    words = ago_words(at, clock.now())
    return Markup(f'<time datetime="{at.isoformat()}" title="{exact}">{escape(words)}</time>')


FILTERS = {"thousands": thousands, "ago": ago}
