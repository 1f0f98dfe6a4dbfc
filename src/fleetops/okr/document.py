"""An OKR document in the seeds' shape, read into teams, objectives and key results with their lines.

`# Team` (or the document's title), `## O1: objective`, `### KR1: key result` (`####` for KR1.1), and
`**Owner:** name` lines under a key result or its objective. Anything else is the item's body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*$")
OBJECTIVE = re.compile(r"^(O\d+)\s*:\s*(.*)$")
KEY_RESULT = re.compile(r"^(KR[\d.]+)\s*:\s*(.*)$")
OWNER = re.compile(r"\bOwner\b\**\s*:?\s*\**\s*:?\s*([^*\n]*)", re.IGNORECASE)


@dataclass
class Item:
    """An objective or a key result: its id, text, line, owner (if written) and body lines."""

    team: str
    id: str
    text: str
    line: int
    owner: str | None = None
    body: list[tuple[int, str]] = field(default_factory=list)
    key_results: list[Item] = field(default_factory=list)


@dataclass
class Document:
    path: str
    lines: list[str]
    objectives: list[Item] = field(default_factory=list)

    def key_results(self) -> list[tuple[Item, Item]]:
        return [(o, kr) for o in self.objectives for kr in o.key_results]


def _owner(text: str) -> str | None:
    found = OWNER.search(text)
    return found.group(1).strip().strip('"') if found else None


def read(path: str, text: str) -> Document:
    doc = Document(path, text.splitlines())
    team, objective, current = "", None, None
    for number, line in enumerate(doc.lines, start=1):
        heading = HEADING.match(line)
        title = heading.group(2) if heading else ""
        if heading and len(heading.group(1)) == 1:
            team, objective, current = title, None, None
        elif heading and (match := OBJECTIVE.match(title)):
            objective = current = Item(team, match.group(1), match.group(2), number)
            doc.objectives.append(objective)
        elif heading and objective is not None and (match := KEY_RESULT.match(title)):
            current = Item(team, f"{objective.id} {match.group(1)}", match.group(2), number)
            objective.key_results.append(current)
        elif heading:
            current = None if len(heading.group(1)) <= 2 else current
            objective = None if len(heading.group(1)) <= 2 else objective
        elif current is not None and line.strip():
            current.body.append((number, line))
            if current.owner is None and (owner := _owner(line)) is not None:
                current.owner = owner
    return doc
