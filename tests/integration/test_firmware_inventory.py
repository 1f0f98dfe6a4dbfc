"""The Redfish firmware reader: against the sushy-tools emulator for what it serves, and against a
documented FirmwareInventory payload for what it does not.

sushy-tools 2.2.0 links `FirmwareInventory` from its UpdateService but answers 404 for the collection,
its `--fake` driver states no `BiosVersion`, and its Manager (feature set "full") says `FirmwareVersion`
"1.00": so the emulator proves the fallback path and the reading of a Manager, and the captured payload
(tests/security/fixtures/redfish-firmware-inventory.json) proves the inventory path through the same
client over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from fleetops.adapters.redfish.bmcs import Bmcs
from fleetops.adapters.redfish.client import RedfishClient
from fleetops.adapters.redfish.firmware import Firmware
from fleetops.db.session import Database
from fleetops.security import firmware
from fleetops.security.choices import Component
from fleetops.security.models import NodeSoftware
from fleetops.security.software import component_of
from tests.factories import load, make_node, two_tenant_fleet
from tests.integration.conftest import sushy_emulator
from tests.security.scans import FIXTURES

pytest.importorskip(
    "sushy_tools", reason="sushy-tools not installed: `pip install sushy-tools` (make test does)"
)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with sushy_emulator(tmp_path_factory.mktemp("sushy-firmware"), systems=2) as url:
        yield url


def test_the_emulator_serves_no_inventory_so_the_manager_version_is_read(emulator: str) -> None:
    with RedfishClient(emulator) as client:
        assert client.get("/redfish/v1/UpdateService")["FirmwareInventory"]["@odata.id"].endswith(
            "/FirmwareInventory"
        )
        system = client.systems()[0]
        found = client.firmware(system)
    assert [(f.id, f.version) for f in found] == [("BMC", "1.00")]
    assert [component_of(f) for f in found] == [Component.BMC]


def test_firmware_read_from_the_emulator_lands_in_the_inventory(
    emulator: str, sqlite_database: Database
) -> None:
    with RedfishClient(emulator) as probe:
        systems = probe.systems()
    fleet = two_tenant_fleet(1)
    fleet["nodes"] = [
        make_node("a000", bmc_address=f"{emulator}{systems[0]}"),
        make_node("a001", bmc_address=None),
    ]
    load(sqlite_database, fleet)
    bmcs = Bmcs(RedfishClient)
    assert firmware.collect(sqlite_database, bmcs, firmware.due(sqlite_database, 0))[0] == 1
    with sqlite_database.transaction() as session:
        rows = [(r.component, r.name, r.version, r.source) for r in session.query(NodeSoftware)]
    assert rows == [("bmc", "BMC", "1.00", "redfish")]


def captured() -> httpx.MockTransport:
    pages = json.loads((FIXTURES / "redfish-firmware-inventory.json").read_text())
    pages["/redfish/v1/Systems/437XR1138R2"] = {"Id": "437XR1138R2", "BiosVersion": "P79 v1.45 (12/06/2017)"}

    def answer(request: httpx.Request) -> httpx.Response:
        page = pages.get(request.url.path)
        return (
            httpx.Response(200, json=page) if page else httpx.Response(404, json={"error": {"message": "no"}})
        )

    return httpx.MockTransport(answer)


def test_a_documented_inventory_is_read_whole_and_each_entry_classified() -> None:
    with RedfishClient("https://bmc", transport=captured()) as client:
        found = client.firmware("437XR1138R2")
    read = {f.id: (f.version, component_of(f)) for f in found}
    assert read == {
        "BMC": ("1.45.455b66-rev4", Component.BMC),
        "BIOS": ("P79 v1.45 (12/06/2017)", Component.BIOS),
        "HGX_FW_GPU_SXM_1": ("96.00.89.00.01", Component.VBIOS),
        "HGX_FW_GPU_SXM_2": ("96.00.89.00.02", Component.VBIOS),
        "NIC_Slot_3": ("28.39.1002", Component.FIRMWARE),
    }  # the CPLD states no version: left out, never stored as ""
    assert found[0] == Firmware(
        "BMC",
        "Contoso BMC Firmware",
        "1.45.455b66-rev4",
        "1624A9DF-5E13-47FC-874A-DF3AFF143089",
        ("/redfish/v1/Managers/BMC",),
        "/redfish/v1/UpdateService/FirmwareInventory/BMC",
    )
