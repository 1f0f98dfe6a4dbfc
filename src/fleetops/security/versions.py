"""Version order and bulletin ranges: Debian package versions as dpkg orders them, and the dotted versions
of firmware, drivers and kernels.

A bulletin says "affected: >= 3.0.0, < 3.0.13-1~deb12u1"; whether a node's installed version falls in it
is the whole impact assessment, so the order must be dpkg's own (epochs, `~` before anything, letters
before punctuation) and not a string compare: `tests/security/test_versions.py` checks it against
`dpkg --compare-versions` itself. Firmware has no standard: "96.00.89.00.01", "1.10.2", "2.13 (Build 5)"
compare part by part, numbers as numbers, and missing trailing parts count as zero (1.2 == 1.2.0).
An NVIDIA VBIOS ("96.00.DA.00.0C", from NVML and the BMC alike) is dot-separated hexadecimal bytes: read
as dotted, DA would be a word sorting before 89, so it has an order of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import zip_longest

from fleetops.errors import InvalidInput

Compare = Callable[[str, str], int]
_DEBIAN = re.compile(r"^(?:(\d+):)?([0-9][A-Za-z0-9.+~:-]*?)(?:-([A-Za-z0-9.+~]+))?$")
_PART = re.compile(r"\d+|[A-Za-z]+")


def _order(char: str) -> int:
    """dpkg's weight of one non-digit character: `~` first, then the end of the string, letters, the rest."""
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(a: str, b: str) -> int:
    """dpkg's `verrevcmp`: alternate runs of non-digits (by `_order`) and digits (as numbers)."""
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            left = _order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            right = _order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if left != right:
                return -1 if left < right else 1
            i, j = i + 1, j + 1
        start_i, start_j = i, j
        while i < len(a) and a[i].isdigit():
            i += 1
        while j < len(b) and b[j].isdigit():
            j += 1
        left_n, right_n = int(a[start_i:i] or 0), int(b[start_j:j] or 0)
        if left_n != right_n:
            return -1 if left_n < right_n else 1
    return 0


def split_debian(version: str) -> tuple[int, str, str]:
    """(epoch, upstream, revision); refused when dpkg would refuse it (no leading digit, bad character)."""
    found = _DEBIAN.match(version.strip())
    if found is None:
        raise InvalidInput(f"version {version!r}: not a Debian package version ([epoch:]upstream[-revision])")
    epoch, upstream, revision = found.groups()
    return int(epoch or 0), upstream, revision or ""


def debian_compare(a: str, b: str) -> int:
    """-1, 0 or 1 as `dpkg --compare-versions a lt|eq|gt b`."""
    (epoch_a, up_a, rev_a), (epoch_b, up_b, rev_b) = split_debian(a), split_debian(b)
    if epoch_a != epoch_b:
        return -1 if epoch_a < epoch_b else 1
    return _compare_part(up_a, up_b) or _compare_part(rev_a, rev_b)


def _parts(version: str) -> list[int | str]:
    return [int(p) if p.isdigit() else p.lower() for p in _PART.findall(version)]


def dotted_compare(a: str, b: str) -> int:
    """Part by part: numbers numerically, words alphabetically, a word before a number (1.0.rc1 < 1.0.0),
    a missing part as 0 (1.2 == 1.2.0); separators and brackets are not parts ("2.13 (Build 5)" is 2,
    13, build, 5)."""
    for x, y in zip_longest(_parts(a), _parts(b), fillvalue=0):
        if x == y:
            continue
        if type(x) is type(y):
            return -1 if x < y else 1  # type: ignore[operator]
        return -1 if isinstance(x, str) else 1
    return 0


def hex_compare(a: str, b: str) -> int:
    """Dot-separated hexadecimal fields compared as numbers, a missing field as 0; anything else refused."""
    for x, y in zip_longest(_hex_fields(a), _hex_fields(b), fillvalue=0):
        if x != y:
            return -1 if x < y else 1
    return 0


def _hex_fields(version: str) -> list[int]:
    try:
        return [int(field, 16) for field in version.strip().split(".")]
    except ValueError:
        raise InvalidInput(f"version {version!r}: not dot-separated hexadecimal (96.00.DA.00.0C)") from None


SCHEMES: dict[str, Compare] = {"debian": debian_compare, "dotted": dotted_compare, "hex": hex_compare}
_BOUND = re.compile(r"^\s*(<=|>=|<|>|==|=)\s*(\S.*?)\s*$")


@dataclass(frozen=True)
class VersionRange:
    """Bounds all of which a version must meet: `>=2.0,<2.4.1`; an empty text is every version."""

    bounds: tuple[tuple[str, str], ...]
    scheme: str = "debian"

    @classmethod
    def parse(cls, spec: str, scheme: str = "debian") -> VersionRange:
        if scheme not in SCHEMES:
            raise InvalidInput(f"field scheme: {scheme!r} is not one of {sorted(SCHEMES)}")
        bounds = []
        for number, part in enumerate(p for p in spec.split(",") if p.strip()):
            found = _BOUND.match(part)
            if found is None:
                why = "expected an operator (<, <=, >, >=, =) and a version, e.g. <3.0.13-1"
                raise InvalidInput(f"field range: bound {number + 1} {part.strip()!r}: {why}")
            operator, version = found.groups()
            SCHEMES[scheme](version, version)  # a bound the scheme cannot read is refused here
            bounds.append(("==" if operator == "=" else operator, version))
        return cls(tuple(bounds), scheme)

    def __contains__(self, version: object) -> bool:
        if not isinstance(version, str):
            return False
        compare = SCHEMES[self.scheme]
        try:
            signs = [(op, compare(version, bound)) for op, bound in self.bounds]
        except InvalidInput:
            return False  # an installed version the scheme cannot read is not claimed as affected
        return all(_meets(op, sign) for op, sign in signs)

    def __str__(self) -> str:
        return ",".join(f"{op}{version}" for op, version in self.bounds) or "any"


def _meets(operator: str, sign: int) -> bool:
    return {
        "<": sign < 0,
        "<=": sign <= 0,
        ">": sign > 0,
        ">=": sign >= 0,
        "==": sign == 0,
    }[operator]
