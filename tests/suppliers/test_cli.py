"""`fleetops suppliers scorecard|export|requirements` through the API (the app in this process)."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from fleetops.cli.main import app
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["suppliers", *args])


def test_scorecard_every_card_and_one(fleet, remote_cli):  # noqa: F811
    every = run("scorecard", "--json", "--period", "7")
    assert every.exit_code == 0, every.output
    cards = json.loads(every.stdout)
    assert [c["supplier"] for c in cards] == ["acme", "globex"]
    assert cards[0]["period"]["end"] > cards[0]["period"]["start"] and len(cards[0]["metrics"]) == 7
    one = run("scorecard", "acme")
    assert one.exit_code == 0 and "acme:" in one.stdout and "Uptime" in one.stdout
    missing = run("scorecard", "nope")
    assert missing.exit_code == 2 and "supplier nope: no such supplier" in missing.stderr


def test_export_csv_and_html(fleet, remote_cli, tmp_path):  # noqa: F811
    csv, html = tmp_path / "acme.csv", tmp_path / "acme.html"
    assert run("export", "acme", "--format", "csv", "-o", str(csv)).exit_code == 0
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("supplier,period_start") and all(
        line.startswith("acme,") for line in lines[1:]
    )
    assert len(lines) == 8
    done = run("export", "acme", "--format", "html", "-o", str(html))
    assert done.exit_code == 0 and "written to" in done.stdout
    page = html.read_text()
    assert "<h1>acme <small>supplier quality</small>" in page and "/static/" not in page  # self-contained
    bad = run("export", "acme", "--format", "docx", "-o", str(tmp_path / "x"))
    assert bad.exit_code == 2 and "--format docx: not one of csv, html, pdf" in bad.stderr
    unwritable = run("export", "acme", "--format", "csv", "-o", str(tmp_path / "no" / "such" / "dir.csv"))
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.stderr


@pytest.mark.skipif(not shutil.which("chromium"), reason="no chromium on this machine to print the PDF")
def test_export_pdf(fleet, remote_cli, tmp_path):  # noqa: F811
    pdf = tmp_path / "acme.pdf"
    done = run("export", "acme", "--format", "pdf", "-o", str(pdf))
    assert done.exit_code == 0, done.output
    assert pdf.read_bytes().startswith(b"%PDF")


def test_requirements_publish_list_and_status(fleet, remote_cli, tmp_path):  # noqa: F811
    doc = tmp_path / "str.md"
    doc.write_text("Kubernetes or Slurm on Kubernetes only.\n")
    done = run("requirements", "publish", str(doc), "--title", "Supplier Technical Requirements")
    assert done.exit_code == 0 and "requirements v1 published by admin:" in done.stdout
    listed = json.loads(run("requirements", "list", "--json").stdout)
    assert [(r["version"], r["title"]) for r in listed] == [(1, "Supplier Technical Requirements")]
    status = json.loads(run("requirements", "status", "--json").stdout)
    assert {(s["supplier"], s["version"], s["flagged"]) for s in status} == {
        ("acme", 1, True),
        ("globex", 1, True),
    }
    refused = run("requirements", "acknowledge", "1")  # an admin is no supplier
    assert refused.exit_code == 2 and "a token of another role is needed" in refused.stderr
    missing = run("requirements", "publish", str(tmp_path / "none.md"), "--title", "x")
    assert missing.exit_code == 2 and "none.md: cannot read" in missing.stderr
