"""Version order and ranges: Debian versions exactly as dpkg orders them (checked against
`dpkg --compare-versions` itself), and firmware's dotted versions at their edges."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetops.errors import InvalidInput
from fleetops.security.versions import VersionRange, debian_compare, dotted_compare, hex_compare

DPKG = shutil.which("dpkg")


@pytest.mark.parametrize(
    ("a", "b", "sign"),
    [
        ("1.0", "1.0", 0),
        ("1.0", "1.0-0", 0),  # no revision reads as revision 0
        ("1:1.0", "2.0", 1),  # the epoch outranks everything
        ("1.0~rc1", "1.0", -1),  # tilde sorts before the end: a pre-release
        ("1.0~rc1", "1.0~~", 1),
        ("3.0.13-1~deb12u1", "3.0.13-1", -1),  # a stable-update backport is older than the release
        ("3.0.11-1~deb12u2", "3.0.13-1~deb12u1", -1),
        ("1.0a", "1.0+", -1),  # letters sort before punctuation
        ("1.2", "1.10", -1),  # numbers are numbers
        ("1.02", "1.2", 0),
        ("2.36-9+deb12u4", "2.36-9+deb12u10", -1),
        ("6.1.0-18-amd64", "6.1.0-9-amd64", 1),
    ],
)
def test_debian_order_at_its_edges(a: str, b: str, sign: int) -> None:
    assert debian_compare(a, b) == sign
    assert debian_compare(b, a) == -sign


DEBIAN_VERSION = st.builds(
    lambda epoch, upstream, revision: f"{epoch}{upstream}{revision}",
    st.sampled_from(["", "1:", "2:"]),
    st.from_regex(r"\A[0-9][0-9a-z.+~]{0,6}\Z"),
    st.sampled_from(["", "-1", "-1~deb12u1", "-0ubuntu0.22.04.1", "-2+b1", "-1.1"]),
)


@pytest.mark.skipif(DPKG is None, reason="dpkg not installed (the Debian test host has it)")
@settings(max_examples=150, deadline=None)
@given(DEBIAN_VERSION, DEBIAN_VERSION)
def test_debian_order_is_dpkgs(a: str, b: str) -> None:
    def dpkg(op: str) -> bool:
        return subprocess.run([DPKG or "dpkg", "--compare-versions", a, op, b], check=False).returncode == 0

    expected = -1 if dpkg("lt") else (0 if dpkg("eq") else 1)
    assert debian_compare(a, b) == expected, (a, b)


@pytest.mark.parametrize(
    ("a", "b", "sign"),
    [
        ("1.2", "1.2.0", 0),
        ("1.2", "1.2.1", -1),
        ("96.00.89.00.01", "96.00.89.00.02", -1),
        ("96.00.9A.00.01", "96.00.89.00.01", -1),  # a word sorts before a number in the same place
        ("1.0.rc1", "1.0.0", -1),
        ("2.13 (Build 5)", "2.13 (Build 12)", -1),
        ("550.127.05", "550.54.15", 1),
        ("1.45.455b66-rev4", "1.45.455b66-rev10", -1),
        ("V2.10", "v2.10", 0),
    ],
)
def test_dotted_order_at_its_edges(a: str, b: str, sign: int) -> None:
    assert dotted_compare(a, b) == sign
    assert dotted_compare(b, a) == -sign


@pytest.mark.parametrize(
    ("a", "b", "sign"),
    [
        ("96.00.DA.00.0C", "96.00.89.00.01", 1),  # DA is 218: dotted reads it as a word, before 89
        ("96.00.DA.00.0C", "96.00.da.00.0c", 0),
        ("96.00.DA.00.0C", "96.00.DA.00.0D", -1),
        ("96.00.9F", "96.00.9F.00.00", 0),
    ],
)
def test_a_vbios_orders_as_hexadecimal_fields(a: str, b: str, sign: int) -> None:
    assert hex_compare(a, b) == sign
    assert hex_compare(b, a) == -sign


def test_a_range_holds_its_bounds_inclusive_or_not_as_written() -> None:
    fixed = VersionRange.parse(">=3.0.0,<3.0.13-1~deb12u1")
    assert "3.0.11-1~deb12u2" in fixed
    assert "3.0.0" in fixed
    assert "3.0.13-1~deb12u1" not in fixed  # the fixed version itself is not affected
    assert "3.0.13-1" not in fixed
    assert "2.9.9" not in fixed
    assert "not a version" not in fixed  # unreadable: never claimed affected
    exact = VersionRange.parse("=550.54.15", "dotted")
    assert "550.54.15" in exact and "550.54.15.0" in exact and "550.54.16" not in exact
    assert "anything" in VersionRange.parse("")
    vbios = VersionRange.parse(">=96.00.9F.00.00,<96.00.DA.00.0D", "hex")
    assert "96.00.DA.00.0C" in vbios and "96.00.89.00.01" not in vbios and "not hex" not in vbios


@pytest.mark.parametrize(
    ("spec", "scheme", "message"),
    [
        ("3.0.13", "debian", "field range: bound 1 '3.0.13': expected an operator"),
        (">=1.0,~2", "debian", "field range: bound 2 '~2'"),
        ("<abc", "debian", "version 'abc': not a Debian package version"),
        ("<1", "semver", "field scheme: 'semver' is not one of"),
        ("<96.00.DG", "hex", "version '96.00.DG': not dot-separated hexadecimal"),
    ],
)
def test_a_bad_range_is_refused_naming_the_bound(spec: str, scheme: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        VersionRange.parse(spec, scheme)
    assert message in refused.value.message
