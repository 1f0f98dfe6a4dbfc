"""Record ids as the database stores them: a 32-bit INTEGER, so a larger number can name no record.

PostgreSQL refuses 2**31 in a comparison with an INTEGER column (a 500 until it was bounded) and SQLite's
driver raises OverflowError past 2**63, so a number from outside is checked here before it reaches SQL.
"""

from __future__ import annotations

ID_MAX = 2**31 - 1


def as_id(text: str) -> int | None:
    """The record id `text` spells (ASCII digits within the INTEGER range), or None: a natural key that
    happens to look numeric, '²' or a 30-digit number, names no record by id."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= ID_MAX else None
