"""The virtual media provisioner against the fake BMC: timelines on the manual clock, crashes, refusals."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from fleetops import clock
from fleetops.adapters.redfish.fake import FakeMedia, FakeRedfish, cd_and_usb
from fleetops.deploy.backends import StepContext, StepResult
from fleetops.deploy.choices import BringupState
from fleetops.deploy.virtual_media import RedfishVirtualMedia
from fleetops.errors import ExternalError

SYSTEM = "/redfish/v1/Systems/n1"
MANAGER = "/redfish/v1/Managers/n1"
CD_SLOT = f"{MANAGER}/VirtualMedia/Cd"
URL = "http://images.test/{image}/{hostname}.iso"
IMAGE = "http://images.test/ubuntu-22.04-gpu/n1.iso"


def context(calls=0, started=None, attempt=1):
    return StepContext(
        7,
        "n1",
        1,
        f"http://bmc.test{SYSTEM}",
        "H100",
        8,
        "gamma",
        "kubernetes",
        "ubuntu-22.04-gpu",
        "k8s-cis",
        BringupState.PROVISIONING,
        attempt,
        calls,
        started,
    )


class Run:
    """Calls the step as the engine does: the first call, then polls that count calls from one start."""

    def __init__(self, step: RedfishVirtualMedia) -> None:
        self.step, self.calls, self.started = step, 0, clock.now()

    def call(self) -> StepResult:
        result = self.step.run(context(self.calls, self.started))
        self.calls += 1
        return result

    def until_done(self, clock_, every_s=30.0, limit_s=7200.0) -> StepResult:
        while (clock.now() - self.started).total_seconds() < limit_s:
            result = self.call()
            if result.done:
                return result
            clock_.advance(every_s)
        raise AssertionError(f"not done after {limit_s} s")


def provisioner(bmc: FakeRedfish, **overrides) -> RedfishVirtualMedia:
    settings = {"poll_s": 30.0, "timeout_s": 3600.0, "min_install_s": 300.0} | overrides
    return RedfishVirtualMedia(connect=lambda base: bmc, image_url=URL, **settings)


def slot(bmc: FakeRedfish, path: str = CD_SLOT) -> FakeMedia:
    return next(s for slots in bmc.slots.values() for s in slots if s.path == path)


def test_install_from_power_off_to_disk_boot(manual_clock):
    bmc = FakeRedfish(delay_s=20, install_s=900)
    node = bmc.add(SYSTEM, power="Off")
    run = Run(provisioner(bmc))
    first = run.call()
    assert not first.done and first.evidence["virtual_media"] == CD_SLOT
    assert (slot(bmc).image, slot(bmc).inserted, slot(bmc).write_protected) == (IMAGE, True, True)
    assert (node.boot_once, node.resets) == ("Cd", ["On"])
    manual_clock.advance(30)
    done = run.until_done(manual_clock)
    assert node.booted == ["Cd", "Hdd"]  # the install booted the media, the node then its disk
    assert node.resets == ["On", "On"] and node.power == "On"
    assert (slot(bmc).image, slot(bmc).inserted) == ("", False)
    assert slot(bmc).requests == ["InsertMedia", "EjectMedia"]
    assert slot(bmc, f"{MANAGER}/VirtualMedia/Usb").requests == []  # the USB slot is left alone
    assert done.evidence["virtual_media_polls"] >= 30


def test_engine_images_nodes_over_virtual_media(database, manual_clock):
    """Three nodes through the engine: off, on, and on with another image in the CD slot."""
    from fleetops.auth.principal import SYSTEM as PRINCIPAL
    from fleetops.deploy import service
    from fleetops.deploy.backends import simulated_backends
    from fleetops.deploy.claim import Limits
    from fleetops.deploy.engine import Engine
    from fleetops.deploy.models import NodeBringup
    from fleetops.deploy.plan import PlanRequest
    from fleetops.inventory.models import Node
    from tests.deploy.fleet import racked_fleet
    from tests.factories import load

    load(database, racked_fleet(nodes=3, racks=1))
    bmc = FakeRedfish(delay_s=20, install_s=900)
    systems = [bmc.add(f"/redfish/v1/Systems/n{i:05d}", power="Off" if i == 0 else "On") for i in range(3)]
    stale = slot(bmc, "/redfish/v1/Managers/n00002/VirtualMedia/Cd")
    stale.image, stale.inserted = "http://images.test/old.iso", True
    with database.transaction() as session:
        for node in session.scalars(select(Node)):
            node.bmc_address = f"http://bmc.test/redfish/v1/Systems/{node.hostname}"
        service.plan(session, PRINCIPAL, PlanRequest("r1", "gamma", "img", "k8s-cis", pod="sp1"))
        service.start(session, PRINCIPAL, "r1")
    backends = simulated_backends()
    backends.provisioner = provisioner(bmc)
    engine = Engine(backends, Limits(threads=1))
    for _ in range(80):
        engine.tick(database)
        manual_clock.advance(30)
    with database.transaction() as session:
        rows = {b.hostname: b for b in session.scalars(select(NodeBringup))}
    assert {h: r.state for h, r in rows.items()} == {"n00000": "ready", "n00001": "ready", "n00002": "ready"}
    assert [s.resets for s in systems] == [["On", "On"], ["ForceRestart", "On"], ["ForceRestart", "On"]]
    assert all(s.booted[-2:] == ["Cd", "Hdd"] for s in systems)
    assert stale.requests == ["EjectMedia", "InsertMedia", "EjectMedia"] and not stale.inserted
    evidence = rows["n00002"].evidence
    assert evidence["virtual_media_ejected"] == "http://images.test/old.iso"
    assert evidence["virtual_media_image"] == "http://images.test/img/n00002.iso"
    assert 900 <= evidence["virtual_media_install_s"] <= 900 + 20 + 2 * 30


def test_an_off_system_is_not_installed_before_min_install_s(manual_clock):
    """sushy-emulator never clears `Once`, so only the time tells a reset not landed from an install done."""
    bmc = FakeRedfish(delay_s=240, install_s=600, shows_once=False)
    bmc.add(SYSTEM, power="Off")
    run = Run(provisioner(bmc, min_install_s=300))
    run.call()
    for _ in range(9):  # Off until the reset lands at 240 s: waiting, the image stays in
        manual_clock.advance(30)
        assert not run.call().done
        assert slot(bmc).inserted
    run.until_done(manual_clock)
    assert bmc._systems[SYSTEM].booted == ["Cd", "Hdd"]


def test_a_system_that_never_boots_the_media_times_out_saying_so(manual_clock):
    bmc = FakeRedfish(delay_s=10**9, install_s=600)  # the BMC accepts the reset; the system never comes on
    bmc.add(SYSTEM, power="Off")
    run = Run(provisioner(bmc, min_install_s=300, timeout_s=1800))
    run.call()
    manual_clock.advance(1000)  # well past min_install_s and Off: but the one-time Cd is still unused
    assert not run.call().done and slot(bmc).inserted
    manual_clock.advance(1000)
    with pytest.raises(ExternalError) as timed_out:
        run.call()
    error = timed_out.value
    assert error.retryable
    assert error.message.startswith("node n1: field power_state: Off after 2000 s")
    assert "never booted the media" in error.message
    assert error.details["boot_override"] == "Cd/Once" and error.details["media_image"] == IMAGE


def test_an_installer_that_does_not_power_off_times_out_with_evidence(manual_clock):
    bmc = FakeRedfish(delay_s=20, install_s=None)
    bmc.add(SYSTEM, power="On")
    run = Run(provisioner(bmc, timeout_s=1800))
    with pytest.raises(ExternalError) as timed_out:
        run.until_done(manual_clock)
    assert "the installer did not power the system off" in timed_out.value.message
    assert timed_out.value.details["power_state"] == "On"
    assert timed_out.value.details["media_inserted"] is True


def test_a_bmc_without_the_insert_action_gets_a_patch(manual_clock):
    bmc = FakeRedfish(delay_s=20, install_s=900)
    bmc.add(SYSTEM, media=cd_and_usb(MANAGER, actions=False))
    Run(provisioner(bmc)).until_done(manual_clock)
    assert slot(bmc).requests == ["PATCH Image", "PATCH eject"]


def test_the_systems_own_virtual_media_when_its_manager_has_none(manual_clock):
    bmc = FakeRedfish(delay_s=20, install_s=900)
    bmc.add(SYSTEM, media=[])
    bmc.slots[SYSTEM] = [FakeMedia(f"{SYSTEM}/VirtualMedia/1", ("DVD",))]
    Run(provisioner(bmc)).until_done(manual_clock)
    assert slot(bmc, f"{SYSTEM}/VirtualMedia/1").requests == ["InsertMedia", "EjectMedia"]


@pytest.mark.parametrize("media", [[], [FakeMedia(f"{MANAGER}/VirtualMedia/Usb", ("USBStick",))]])
def test_a_bmc_without_a_virtual_cd_is_refused_for_good(manual_clock, media):
    bmc = FakeRedfish()
    node = bmc.add(SYSTEM, media=media)
    with pytest.raises(ExternalError) as refused:
        provisioner(bmc).run(context())
    assert not refused.value.retryable
    assert refused.value.message.startswith(
        f"node n1: field bmc_address: the BMC offers no CD/DVD virtual media for {SYSTEM}"
    )
    assert ("USBStick" in refused.value.message) == bool(media)
    assert node.resets == [] and node.boot_once is None  # nothing was touched


def test_the_first_round_again_after_a_crash_inserts_once(manual_clock):
    bmc = FakeRedfish(delay_s=20, install_s=900)
    node = bmc.add(SYSTEM, power="Off")
    step = provisioner(bmc)
    step.run(context(calls=0, started=clock.now()))
    manual_clock.advance(2)  # the worker died before writing its tick; another calls the first round again
    step.run(context(calls=0, started=clock.now()))
    assert slot(bmc).requests == ["InsertMedia"] and node.resets == ["On", "On"]
    run = Run(step)
    run.calls = 1
    run.until_done(manual_clock)
    assert node.booted == ["Cd", "Hdd"]


def test_the_finishing_round_cut_short_runs_again(manual_clock):
    """Killed after powering on from disk but before the eject: the disk override says where it was."""
    bmc = FakeRedfish(delay_s=20, install_s=900)
    node = bmc.add(SYSTEM, power="Off")
    step = provisioner(bmc)
    started = clock.now()
    step.run(context(0, started))
    manual_clock.advance(1000)
    assert (bmc.power_state(SYSTEM), node.booted) == ("Off", ["Cd"])  # the installer powered off at 920 s
    node.boot_once, node.boot_enabled = "Hdd", "Once"  # the cut-short round: Hdd once, On, no eject
    node.power = "On"
    inserted_before = list(slot(bmc).requests)
    manual_clock.advance(30)
    result = step.run(context(1, started))
    assert slot(bmc).requests == [*inserted_before, "EjectMedia"] and not slot(bmc).inserted
    assert node.resets == ["On"]  # it was already on: no second power-on
    assert not result.done
    assert step.run(context(2, started)).done


def test_an_image_changed_during_the_install_fails_the_run(manual_clock):
    bmc = FakeRedfish(delay_s=20, install_s=900)
    bmc.add(SYSTEM, power="On")
    run = Run(provisioner(bmc))
    run.call()
    manual_clock.advance(60)
    slot(bmc).image = "http://elsewhere.test/other.iso"
    with pytest.raises(ExternalError) as changed:
        run.call()
    assert changed.value.retryable
    assert changed.value.message == (
        f"node n1: field virtual_media: {CD_SLOT} holds http://elsewhere.test/other.iso, not {IMAGE}: "
        "it was changed during the install"
    )


def test_an_image_url_naming_an_unknown_field_is_refused_for_good(manual_clock):
    bmc = FakeRedfish()
    bmc.add(SYSTEM)
    step = replace(provisioner(bmc), image_url="http://images.test/{flavour}.iso")
    with pytest.raises(ExternalError) as refused:
        step.run(context())
    assert not refused.value.retryable
    assert refused.value.message.startswith("node n1: field image_url: 'http://images.test/{flavour}.iso'")
    assert slot(bmc).requests == []


def test_bmc_errors_name_the_node_and_keep_the_bmc_words(manual_clock):
    bmc = FakeRedfish()
    bmc.add(SYSTEM)
    bmc.fail_next[SYSTEM] = 1
    with pytest.raises(ExternalError) as busy:
        provisioner(bmc).run(context())
    assert busy.value.retryable and busy.value.details["status"] == 503
    assert busy.value.message == f"node n1: redfish fake {SYSTEM}: HTTP 503: BMC busy"


def test_an_insert_the_bmc_accepts_but_does_not_show_fails_before_booting(manual_clock):
    """Otherwise the empty slot would read as "ejected at the end" and the step as done."""
    bmc = FakeRedfish()
    node = bmc.add(SYSTEM)
    bmc.insert_media = lambda media, image: None  # 204 No Content, and nothing mounted
    with pytest.raises(ExternalError) as unseen:
        provisioner(bmc).run(context())
    assert unseen.value.retryable
    assert unseen.value.message == (
        f"node n1: field virtual_media: {CD_SLOT} accepted {IMAGE} but shows Image='' Inserted=False"
    )
    assert node.resets == []
