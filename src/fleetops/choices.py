"""Enumerations with a label and a colour, used the same way by the API, the console and the filters."""

from __future__ import annotations

from enum import StrEnum


class Choice(StrEnum):
    """A string enum whose members carry a human label and a console colour."""

    label: str
    colour: str

    def __new__(cls, value: str, label: str = "", colour: str = "grey") -> Choice:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value.replace("_", " ").capitalize()
        member.colour = colour
        return member
