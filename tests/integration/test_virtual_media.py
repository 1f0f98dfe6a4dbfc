"""The virtual media provisioner against the real sushy-tools emulator (`--fake` systems, its vmedia).

The emulator downloads the image at InsertMedia, so a local HTTP server serves the ISOs. It has no
installer: the tests play it, powering the system off as an install ISO does at its end. It shows
every boot override as `Continuous`, so the step tells a reset not yet landed from a finished install
by `min_install_s` alone here.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from fleetops import clock
from fleetops.adapters.redfish.client import RedfishClient
from fleetops.deploy.backends import StepContext
from fleetops.deploy.choices import BringupState
from fleetops.deploy.virtual_media import RedfishVirtualMedia
from fleetops.errors import ExternalError
from tests.integration.conftest import sushy_emulator

pytest.importorskip(
    "sushy_tools", reason="sushy-tools not installed: `pip install sushy-tools` (make test does)"
)

IMAGE = "ubuntu-22.04-gpu"
MIN_INSTALL_S = 60.0


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The image server a BMC fetches from: two small ISOs, and nothing else."""
    directory = tmp_path_factory.mktemp("images")
    for name in (IMAGE, "old-image"):
        (directory / f"{name}.iso").write_bytes(name.encode() * 512)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with sushy_emulator(tmp_path_factory.mktemp("sushy-vmedia"), systems=4) as url:
        yield url


def context(bmc: str, system: str, calls: int, started, hostname: str = "n1") -> StepContext:
    return StepContext(
        1, hostname, 1, f"{bmc}{system}", "H100", 8, "gamma", "kubernetes", IMAGE, "k8s-cis",
        BringupState.PROVISIONING, 1, calls, started,
    )  # fmt: skip


def provisioner(images: str, **overrides) -> RedfishVirtualMedia:
    settings = {
        "image_url": images + "/{image}.iso",
        "poll_s": 0.5,
        "timeout_s": 600.0,
        "min_install_s": MIN_INSTALL_S,
    }
    return RedfishVirtualMedia(connect=lambda base: RedfishClient(base), **(settings | overrides))


def cd_slot(client: RedfishClient, system: str) -> dict:
    """The emulator's CD slot as it serves it, read without the code under test."""
    return client._request("GET", f"{system}/VirtualMedia/Cd").json()


def boot(client: RedfishClient, system: str) -> str:
    return client.system(system)["Boot"]["BootSourceOverrideTarget"]


def play_installer(client: RedfishClient, system: str) -> None:
    """The install ISO's last act: power the machine off."""
    client.reset(system, "ForceOff")
    client.wait_power(system, "Off", timeout_s=20, poll_s=0.25)


def test_insert_boot_from_cd_reset_then_disk_and_eject(emulator, images):
    url, step = f"{images}/{IMAGE}.iso", provisioner(images)
    with RedfishClient(emulator) as client:
        system = client.systems()[0]
        started = clock.now()
        first = step.run(context(emulator, system, 0, started))
        assert not first.done and first.evidence["virtual_media_reset"] == "On"
        assert first.evidence["virtual_media"] == f"{system}/VirtualMedia/Cd"
        shown = cd_slot(client, system)
        assert (shown["Image"], shown["Inserted"], shown["WriteProtected"]) == (url, True, True)
        assert boot(client, system) == "Cd"
        client.wait_power(system, "On", timeout_s=20, poll_s=0.25)  # the reset landed: installing
        assert not step.run(context(emulator, system, 1, started)).done
        play_installer(client, system)
        # Off within min_install_s: on this BMC it could be the reset not landed yet, so it waits.
        assert not step.run(context(emulator, system, 2, started)).done
        assert cd_slot(client, system)["Inserted"] is True
        long_ago = started - timedelta(seconds=MIN_INSTALL_S + 1)
        finished = step.run(context(emulator, system, 3, long_ago))
        assert not finished.done and finished.evidence["virtual_media_install_s"] >= MIN_INSTALL_S
        assert (cd_slot(client, system)["Image"], cd_slot(client, system)["Inserted"]) == ("", False)
        assert boot(client, system) == "Hdd"
        client.wait_power(system, "On", timeout_s=20, poll_s=0.25)
        assert step.run(context(emulator, system, 4, long_ago)).done


def test_a_running_node_with_another_image_and_a_crash_in_each_round(emulator, images):
    url, old, step = f"{images}/{IMAGE}.iso", f"{images}/old-image.iso", provisioner(images)
    with RedfishClient(emulator) as client:
        system = client.systems()[1]
        client.reset(system, "On")
        client.wait_power(system, "On", timeout_s=20, poll_s=0.25)
        client.insert_media(client.media(f"{system}/VirtualMedia/Cd"), old)
        assert cd_slot(client, system)["Image"] == old
        started = clock.now()
        first = step.run(context(emulator, system, 0, started))
        assert first.evidence["virtual_media_ejected"] == old
        assert first.evidence["virtual_media_reset"] == "ForceRestart"
        assert client.power_state(system) == "Off"  # the emulator shows a restart Off at once
        again = step.run(context(emulator, system, 0, started))  # the worker died before writing
        assert "virtual_media_ejected" not in again.evidence  # our image stays in, not ejected again
        assert (cd_slot(client, system)["Image"], boot(client, system)) == (url, "Cd")
        client.wait_power(system, "On", timeout_s=20, poll_s=0.25)
        play_installer(client, system)
        client.set_boot_once(system, "Hdd")  # the finishing round, killed after the power-on
        client.reset(system, "On")
        client.wait_power(system, "On", timeout_s=20, poll_s=0.25)
        assert cd_slot(client, system)["Inserted"] is True
        assert step.run(context(emulator, system, 1, started)).done is False  # it ejects now
        assert cd_slot(client, system)["Inserted"] is False
        assert step.run(context(emulator, system, 2, started)).done


def test_an_image_the_bmc_cannot_fetch_is_a_clear_refusal(emulator, images):
    step = provisioner(images, image_url=images + "/{hostname}.iso")
    with RedfishClient(emulator) as client:
        system = client.systems()[2]
        with pytest.raises(ExternalError) as refused:
            step.run(context(emulator, system, 0, clock.now(), hostname="no-such-node"))
        assert not refused.value.retryable
        assert refused.value.message.startswith("node no-such-node: redfish POST ")
        assert "HTTP 400: Cannot download virtual media: got error 404" in refused.value.message
        assert client.power_state(system) == "Off" and boot(client, system) != "Cd"


def test_a_bmc_without_virtual_media_is_refused_for_good(tmp_path, images):
    with sushy_emulator(tmp_path, systems=1, FEATURE_SET="minimum") as bmc, RedfishClient(bmc) as client:
        system = client.systems()[0]
        with pytest.raises(ExternalError) as refused:
            provisioner(images).run(context(bmc, system, 0, clock.now()))
        assert not refused.value.retryable
        assert refused.value.message == (
            f"node n1: field bmc_address: the BMC offers no CD/DVD virtual media for {system} "
            f"(looked in ['{system}']; slots: none)"
        )
        assert client.power_state(system) == "Off" and boot(client, system) != "Cd"


def installer(bmc: str, systems: list[str], stop: threading.Event) -> None:
    """Each system that boots with an image in its CD slot installs for a second, then powers off, once
    (a second ForceOff before the first lands would put the emulator's landing off again)."""
    installed: set[str] = set()
    with RedfishClient(bmc) as client:
        while not stop.wait(0.5):
            for system in set(systems) - installed:
                slot = cd_slot(client, system)
                if slot["Inserted"] and client.power_state(system) == "On" and boot(client, system) == "Cd":
                    time.sleep(1)
                    client.reset(system, "ForceOff")
                    installed.add(system)


def test_engine_images_nodes_through_the_emulator(sqlite_database, emulator, images):
    from fleetops.auth.principal import SYSTEM
    from fleetops.deploy import service
    from fleetops.deploy.backends import simulated_backends
    from fleetops.deploy.claim import Limits
    from fleetops.deploy.engine import Engine
    from fleetops.deploy.models import NodeBringup
    from fleetops.deploy.plan import PlanRequest
    from fleetops.inventory.models import Node
    from tests.deploy.fleet import racked_fleet
    from tests.factories import load

    database, count = sqlite_database, 2
    load(database, racked_fleet(nodes=count, racks=1))
    with RedfishClient(emulator) as client:
        systems = client.systems()[-count:]
        for system in systems:
            client.reset(system, "ForceOff")
    with database.transaction() as session:
        for node, system in zip(session.scalars(select(Node).order_by(Node.id)), systems, strict=True):
            node.bmc_address = f"{emulator}{system}"
        service.plan(session, SYSTEM, PlanRequest("r1", "gamma", IMAGE, "k8s-cis", pod="sp1"))
        service.start(session, SYSTEM, "r1")
    backends = simulated_backends()
    backends.provisioner = provisioner(images, min_install_s=15.0)
    engine = Engine(backends, Limits(threads=4, min_poll_s=0.5, rack_power_on_burst=0))
    stop = threading.Event()
    playing = threading.Thread(target=installer, args=(emulator, systems, stop), daemon=True)
    playing.start()
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            engine.tick(database)
            with database.transaction() as session:
                states = set(session.scalars(select(NodeBringup.state)))
            if states == {"ready"}:
                break
            time.sleep(0.25)
    finally:
        stop.set()
        playing.join(10)
        engine.close()
    with database.transaction() as session:
        rows = list(session.scalars(select(NodeBringup)))
    assert states == {"ready"}, {r.hostname: r.last_error for r in rows}
    assert all(r.evidence["virtual_media_install_s"] >= 15 for r in rows)
    with RedfishClient(emulator) as client:
        assert {client.power_state(s) for s in systems} == {"On"}
        assert {cd_slot(client, s)["Inserted"] for s in systems} == {False}
        assert {boot(client, s) for s in systems} == {"Hdd"}
