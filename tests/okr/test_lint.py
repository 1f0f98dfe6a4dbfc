"""The OKR lint on the seed documents (what they really contain) and on documents written to break it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetops.cli.main import app
from fleetops.okr.document import read
from fleetops.okr.lint import lint
from tests.conftest import SHARED

SEEDS = sorted((SHARED / "seeds").glob("*.txt"))


@pytest.fixture
def seeds():
    if not SEEDS:
        pytest.skip(f"the seed documents are not at {SHARED / 'seeds'}")
    return [read(str(p), p.read_text()) for p in SEEDS]


def _found(findings, code):
    return [(Path(f.path).name[:3], f.line, f.message) for f in findings if f.code == code]


def test_the_seeds_placeholders_tbd_owner_and_duplicates(seeds):
    found = lint(seeds)
    placeholders = {(doc, m.split("'")[1]) for doc, _, m in _found(found, "placeholder")}
    assert {
        ("002", "xx%"),
        ("002", "yy%"),
        ("001", "xx%"),
        ("001", "yy%"),
        ("001", "[Y days/weeks]"),
    } == placeholders
    assert [(doc, line) for doc, line, _ in _found(found, "owner-tbd")] == [("001", 235)]
    duplicates = _found(found, "duplicate")
    assert ("002", 25, duplicates[0][2]) in duplicates and "Platform Ops O6 (" in duplicates[0][2]
    assert any("Merge ClusterOps, Atlas and Lighthouse Repos" in m for _, _, m in duplicates)
    owners = {m for _, _, m in _found(found, "no-owner")}
    assert "Cluster Ops O2 KR1 has no owner" in owners
    assert not any(m.startswith("Platform Ops O7") for m in owners)  # the security KRs name Jason Kichen


DOC = """# Org OKRs

# Compute
## O1: Lab 2.0 ready
**Owner:** Ana
### KR1: Lab 2.0 operational by March 1
### KR2: Throughput up by zz%
**Owner:** TBD

# Networking
## O1: Lab 2.0 ready
### KR1: Lab 2.0 operational by Mar 31
**Owner:** Bo
### KR2: Sub-pod deployment time ≤ [Y days/weeks]
**Owner:** Cy
"""


def test_a_document_written_to_break_every_rule():
    found = lint([read("doc.md", DOC)])
    codes = {(f.line, f.code) for f in found}
    assert (6, "no-owner") not in codes  # owned through its objective
    assert {
        (8, "owner-tbd"),
        (7, "placeholder"),
        (14, "placeholder"),
        (4, "duplicate"),
        (11, "duplicate"),
    } <= codes
    dates = [f.message for f in found if f.code == "dates-disagree"]
    assert dates == ["'lab 2.0' is given 2 dates: by March 1 (doc.md:6); by Mar 31 (doc.md:12)"]
    clean = DOC.replace("zz%", "10%").replace("TBD", "Di").replace("[Y days/weeks]", "10 days")
    clean = clean.replace("operational by Mar 31", "cabled by March 1").replace(
        "## O1: Lab 2.0 ready\n### KR1", "## O1: Lab 2.0 wired\n### KR1"
    )
    assert lint([read("doc.md", clean)]) == []


def test_the_cli_exit_codes(tmp_path):
    runner = CliRunner()
    bad, good = tmp_path / "bad.md", tmp_path / "good.md"
    bad.write_text(DOC)
    good.write_text("# T\n## O1: a\n### KR1: b\n**Owner:** c\n")
    result = runner.invoke(app, ["okr", "lint", str(bad), "--json"])
    assert result.exit_code == 1 and {f["code"] for f in json.loads(result.stdout)} >= {
        "placeholder",
        "owner-tbd",
    }
    assert runner.invoke(app, ["okr", "lint", str(good)]).exit_code == 0
    missing = runner.invoke(app, ["okr", "lint", str(tmp_path / "nope.md")])
    assert missing.exit_code == 2 and "nope.md: cannot read" in missing.output
