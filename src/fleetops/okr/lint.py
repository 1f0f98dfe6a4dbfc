"""`fleetops okr lint`: key results with no owner or "Owner: TBD", placeholder targets ("xx%", "yy%",
"[Y days/weeks]"), objectives and key results duplicated across teams, and one milestone given two dates.

The date check is a heuristic: a date's milestone is the first two words of the clause it ends
("Lab 2.0 operational by Mar 31" → "lab 2.0"); the same milestone with two dates is reported."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from fleetops.okr.document import Document, Item

PLACEHOLDER = re.compile(r"\b[a-zA-Z]{1,2}%|\[[A-Z]\b[^\]]*\]|\bTBD\b(?![\"”]?\s*\W*owner)")
TBD_OWNER = re.compile(r"\bOwner\b\W*(TBD|TBC|\?+|none)\b", re.IGNORECASE)
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DATE = re.compile(
    r"(?:\b(?:by|on|before|until)\s+)?\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2})\b"
)
CLAUSE = re.compile(r"[,;:()\[\]]|\bwith\b|\band\b")
NOISE = re.compile(r"[*_`\"“”]|\(joint[^)]*\)", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code}: {self.message}"


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w%.$<>≥≤ ]", " ", NOISE.sub("", text).lower()).split())


def _owners(doc: Document) -> list[Finding]:
    out = []
    for objective, kr in doc.key_results():
        owner = kr.owner if kr.owner is not None else objective.owner
        name = f"{kr.team} {kr.id}".strip()
        if owner is None:
            out.append(Finding(doc.path, kr.line, "no-owner", f"{name} has no owner"))
    for number, line in enumerate(doc.lines, start=1):
        if TBD_OWNER.search(line):
            out.append(Finding(doc.path, number, "owner-tbd", f"owner to be decided: {line.strip()[:100]}"))
    return out


def _placeholders(doc: Document) -> list[Finding]:
    out = []
    for number, line in enumerate(doc.lines, start=1):
        for found in PLACEHOLDER.finditer(line):
            if TBD_OWNER.search(line) and found.group(0) == "TBD":
                continue
            out.append(Finding(doc.path, number, "placeholder", f"placeholder target {found.group(0)!r}"))
    return out


def _duplicates(docs: list[Document]) -> list[Finding]:
    """The same objective (or key result) under two teams: whose is it?"""
    seen: dict[tuple[str, str], list[tuple[Document, Item]]] = defaultdict(list)
    for doc in docs:
        for objective in doc.objectives:
            seen["objective", _normal(objective.text)].append((doc, objective))
            for kr in objective.key_results:
                seen["key result", _normal(kr.text)].append((doc, kr))
    out = []
    for (kind, _), places in seen.items():
        if len({item.team for _, item in places}) < 2:
            continue
        where = ", ".join(f"{item.team} {item.id} ({doc.path}:{item.line})" for doc, item in places)
        for doc, item in places:
            out.append(Finding(doc.path, item.line, "duplicate", f"{kind} {item.text!r} also in: {where}"))
    return out


def _milestones(docs: list[Document]) -> list[Finding]:
    dates: dict[str, dict[tuple[int, int], tuple[str, int, str]]] = defaultdict(dict)
    for doc in docs:
        for number, line in enumerate(doc.lines, start=1):
            for found in DATE.finditer(line):
                clause = CLAUSE.split(line[: found.start()])[-1]
                words = _normal(clause).replace("#", "").split()
                words = [w for w in words if not re.fullmatch(r"kr\d.*|o\d+|by|on|before|until|\d+", w)]
                if len(words) < 2:
                    continue
                when = (MONTHS.index(found.group(1).lower()[:3]) + 1, int(found.group(2)))
                dates[" ".join(words[:2])].setdefault(when, (doc.path, number, found.group(0)))
    out = []
    for milestone, whens in dates.items():
        if len(whens) > 1:
            listed = "; ".join(f"{text} ({path}:{line})" for path, line, text in whens.values())
            path, line, _ = next(iter(whens.values()))
            out.append(
                Finding(path, line, "dates-disagree", f"{milestone!r} is given {len(whens)} dates: {listed}")
            )
    return out


def lint(docs: list[Document]) -> list[Finding]:
    found = [f for doc in docs for f in _owners(doc) + _placeholders(doc)]
    found += _duplicates(docs) + _milestones(docs)
    return sorted(found, key=lambda f: (f.path, f.line, f.code))
