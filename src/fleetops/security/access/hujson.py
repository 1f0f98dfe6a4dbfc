"""HuJSON (JSON with comments and trailing commas, as Tailscale policy files are written), parsed by
hand so a mistake is reported at its JSON pointer, line and column, not only at an offset.

The standard library's `json` cannot skip comments, and stripping them with a regular expression breaks
on `//` inside a string (every URL); a small recursive-descent parser is both exact and short.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring
from typing import Any

NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
LITERALS = {"true": True, "false": False, "null": None}


def pointer(path: list[str | int]) -> str:
    """RFC 6901: `/acls/3/src`, with `~` and `/` in keys escaped."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path) or "/"


class HujsonError(ValueError):
    def __init__(self, message: str, path: list[str | int], line: int, column: int) -> None:
        self.pointer, self.line, self.column, self.reason = pointer(path), line, column, message
        self.where = f"{self.pointer} (line {line}, column {column})"
        super().__init__(f"{self.where}: {message}")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def fail(self, message: str, path: list[str | int]) -> HujsonError:
        line = self.text.count("\n", 0, self.at) + 1
        column = self.at - (self.text.rfind("\n", 0, self.at) + 1) + 1
        return HujsonError(message, path, line, column)

    def skip(self, path: list[str | int]) -> None:
        """Whitespace, `// line` and `/* block */` comments."""
        text = self.text
        while self.at < len(text):
            if text[self.at] in " \t\r\n\ufeff":
                self.at += 1
            elif text.startswith("//", self.at):
                end = text.find("\n", self.at)
                self.at = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.at):
                end = text.find("*/", self.at + 2)
                if end < 0:
                    raise self.fail("unterminated /* comment", path)
                self.at = end + 2
            else:
                return

    def peek(self, path: list[str | int]) -> str:
        self.skip(path)
        if self.at >= len(self.text):
            raise self.fail("unexpected end of file (truncated?)", path)
        return self.text[self.at]

    def value(self, path: list[str | int]) -> Any:
        char = self.peek(path)
        if char == "{":
            return self.members(path)
        if char == "[":
            return self.items(path)
        if char == '"':
            return self.string(path)
        for word, literal in LITERALS.items():
            if self.text.startswith(word, self.at):
                self.at += len(word)
                return literal
        number = NUMBER.match(self.text, self.at)
        if number and number.group():
            self.at = number.end()
            return json.loads(number.group())
        raise self.fail(f"expected a value, found {self.text[self.at : self.at + 12]!r}", path)

    def string(self, path: list[str | int]) -> str:
        try:
            value, self.at = scanstring(self.text, self.at + 1, True)
        except json.JSONDecodeError as exc:
            raise self.fail(f"bad string: {exc.msg}", path) from None
        return value

    def members(self, path: list[str | int]) -> dict[str, Any]:
        self.at += 1
        found: dict[str, Any] = {}
        while self.peek(path) != "}":
            if self.peek(path) != '"':
                raise self.fail("expected a quoted key or '}'", path)
            key = self.string(path)
            if key in found:
                raise self.fail(f"duplicate key {key!r}", [*path, key])
            if self.peek([*path, key]) != ":":
                raise self.fail(f"expected ':' after key {key!r}", [*path, key])
            self.at += 1
            found[key] = self.value([*path, key])
            if self.peek(path) == ",":
                self.at += 1
            elif self.peek(path) != "}":
                raise self.fail("expected ',' or '}'", [*path, key])
        self.at += 1
        return found

    def items(self, path: list[str | int]) -> list[Any]:
        self.at += 1
        found: list[Any] = []
        while self.peek(path) != "]":
            found.append(self.value([*path, len(found)]))
            if self.peek(path) == ",":
                self.at += 1
            elif self.peek(path) != "]":
                raise self.fail("expected ',' or ']'", [*path, len(found) - 1])
        self.at += 1
        return found


def loads(text: str) -> Any:
    """Parse HuJSON; a `HujsonError` names the JSON pointer, line and column of the first mistake."""
    parser = _Parser(text)
    value = parser.value([])
    parser.skip([])
    if parser.at != len(text):
        raise parser.fail("unexpected text after the document", [])
    return value
