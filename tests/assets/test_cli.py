"""`fleetops assets` in this process against the real app: import, list, move, and a bad file's one line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fleetops.cli.main import app
from fleetops.db.session import Database
from tests.assets.conftest import ASN_CSV, order
from tests.cli.harness import remote_cli  # noqa: F401 - the fixture

runner = CliRunner()


def test_import_list_move_and_a_bad_file(
    fleet: Database,
    vendor_settings,
    remote_cli,  # noqa: F811
    tmp_path: Path,
) -> None:
    order(fleet)
    path = tmp_path / "asn.csv"
    path.write_text(ASN_CSV)
    done = runner.invoke(app, ["assets", "import", "asn", str(path), "--vendor", "dell", "--json"])
    assert done.exit_code == 0, done.stderr
    assert '"created": 3' in done.stdout
    listed = runner.invoke(app, ["assets", "list", "--state", "shipped", "--json"])
    assert listed.stdout.count('"serial"') == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("ShipmentNo,PONumber,Serial Number,ShipDate\nASN-9,PO-1,SN-x,yesterday\n")
    refused = runner.invoke(app, ["assets", "import", "asn", str(bad), "--vendor", "dell"])
    assert refused.exit_code == 2 and refused.stdout == ""
    assert (
        refused.stderr
        == "error: bad.csv line 2: field ShipDate: 'yesterday' is not a date (%m/%d/%Y %H:%M)\n"
    )
    moved = runner.invoke(app, ["assets", "move", "SN-a000", "deployed", "--reason", "x"])
    assert moved.exit_code == 2 and "shipped → deployed is not allowed" in moved.stderr
