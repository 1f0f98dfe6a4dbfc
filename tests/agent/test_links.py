"""Passive network link checks: a fake sysfs tree in the real layout, this machine's /sys/class/net, the
link catalog, and the agent's report carrying the finding to the control plane's judgement."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetops.agent.collectors.links import SysfsLinks
from fleetops.agent.link_checks import LinkState, check_network_links
from fleetops.agent.node import AgentConfig, NodeAgent
from fleetops.catalog import default_catalog
from fleetops.catalog.links import default_links, load_links
from fleetops.errors import InvalidInput
from fleetops.health.evaluate import evaluate
from fleetops.wire import Action, FaultOwner, FindingKind, dump_report, parse_report

IB_COUNTERS = ("link_downed", "link_error_recovery", "symbol_error", "port_rcv_errors")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def fake_sysfs(root: Path) -> Path:
    """Two HCA ports, a physical NIC, loopback, an IPoIB interface and a veth, as the kernel lays them out."""
    for hca in ("mlx5_0", "mlx5_1"):
        port = root / "class" / "infiniband" / hca / "ports" / "1"
        write(port / "state", "4: ACTIVE")
        write(port / "phys_state", "5: LinkUp")
        for counter in IB_COUNTERS:
            write(port / "counters" / counter, "0")
    devices = root / "devices" / "pci0000:00" / "0000:00:03.0"
    devices.mkdir(parents=True)
    for name, kind, device in (
        ("eth0", "1", True),
        ("lo", "772", False),
        ("ib0", "32", True),
        ("veth1", "1", False),
    ):
        iface = root / "class" / "net" / name
        write(iface / "operstate", "up")
        write(iface / "carrier_changes", "2")
        write(iface / "type", kind)
        if device:
            (iface / "device").symlink_to(devices)
    return root


def bump(root: Path, relative: str, by: int = 1) -> None:
    path = root / relative
    path.write_text(f"{int(path.read_text()) + by}\n")


@pytest.fixture
def sysfs(tmp_path: Path) -> Path:
    return fake_sysfs(tmp_path / "sys")


def test_reads_ports_and_physical_interfaces_only(sysfs: Path) -> None:
    links = {link.name: link for link in SysfsLinks(sysfs).read_links()}
    assert sorted(links) == ["eth0", "mlx5_0/1", "mlx5_1/1"]  # no loopback, veth, nor the IPoIB twin
    assert links["mlx5_0/1"].state == "ACTIVE" and links["mlx5_0/1"].up
    assert links["mlx5_0/1"].counters["symbol_error"] == 0 and "port_rcv_errors" in links["mlx5_1/1"].counters
    assert links["eth0"].fabric == "ethernet" and links["eth0"].counters == {"carrier_changes": 2}


def test_a_flapping_ib_port_is_a_finding_held_for_the_window_then_resolved(sysfs: Path) -> None:
    collector, state, catalog = SysfsLinks(sysfs), LinkState(), default_links()
    assert check_network_links(collector.read_links(), catalog, state, now=0) == []
    assert check_network_links(collector.read_links(), catalog, state, now=30) == []  # steady: nothing
    bump(sysfs, "class/infiniband/mlx5_1/ports/1/counters/link_downed")
    [flap] = check_network_links(collector.read_links(), catalog, state, now=60)
    assert flap.kind is FindingKind.NETWORK_LINK_FLAP and flap.owner is FaultOwner.HARDWARE
    assert flap.action is Action.CHECK_MECHANICALS and flap.gpu_index is None
    assert flap.details["link"] == "mlx5_1/1" and flap.details["link_downed"] == 1
    assert "mlx5_1/1" in flap.summary and "link_downed +1" in flap.summary
    # still reported while within the hold (a link flapping every few minutes stays one open finding)
    assert [f.kind for f in check_network_links(collector.read_links(), catalog, state, now=900)] == [
        flap.kind
    ]
    assert check_network_links(collector.read_links(), catalog, state, now=961) == []


def test_rising_error_counters_and_ethernet_carrier_changes(sysfs: Path) -> None:
    collector, state, catalog = SysfsLinks(sysfs), LinkState(), default_links()
    check_network_links(collector.read_links(), catalog, state, now=0)
    bump(sysfs, "class/infiniband/mlx5_0/ports/1/counters/symbol_error", 40)
    bump(sysfs, "class/infiniband/mlx5_0/ports/1/counters/port_rcv_errors", 3)
    bump(sysfs, "class/net/eth0/carrier_changes", 2)
    found = {
        (f.kind, f.details["link"]): f
        for f in check_network_links(collector.read_links(), catalog, state, 30)
    }
    assert set(found) == {
        (FindingKind.NETWORK_LINK_ERRORS, "mlx5_0/1"),
        (FindingKind.NETWORK_LINK_FLAP, "eth0"),
    }
    errors = found[(FindingKind.NETWORK_LINK_ERRORS, "mlx5_0/1")]
    assert errors.details["symbol_error"] == 40 and errors.details["port_rcv_errors"] == 3


def test_a_counter_reset_is_a_new_baseline_not_a_finding(sysfs: Path) -> None:
    collector, state, catalog = SysfsLinks(sysfs), LinkState(), default_links()
    bump(sysfs, "class/infiniband/mlx5_0/ports/1/counters/symbol_error", 500)
    check_network_links(collector.read_links(), catalog, state, now=0)
    (sysfs / "class/infiniband/mlx5_0/ports/1/counters/symbol_error").write_text("0\n")  # perfquery -R
    assert check_network_links(collector.read_links(), catalog, state, now=30) == []
    bump(sysfs, "class/infiniband/mlx5_0/ports/1/counters/symbol_error")
    assert len(check_network_links(collector.read_links(), catalog, state, now=60)) == 1


def test_this_machines_real_interfaces() -> None:
    real = Path("/sys/class/net")
    if not real.is_dir():
        pytest.skip("no /sys/class/net on this machine")
    physical = sorted(
        p.name for p in real.iterdir() if (p / "device").exists() and (p / "type").read_text().strip() != "32"
    )
    collector = SysfsLinks(Path("/sys"))
    collector.start()
    ethernet = [link for link in collector.read_links() if link.fabric == "ethernet"]
    assert sorted(link.name for link in ethernet) == physical
    for link in ethernet:
        assert link.state == (real / link.name / "operstate").read_text().strip()
        assert link.counters["carrier_changes"] == int((real / link.name / "carrier_changes").read_text())


def test_no_sysfs_is_said_not_fatal(tmp_path: Path, sysfs: Path) -> None:
    agent = NodeAgent(AgentConfig(hostname="n1"), [], [], links=SysfsLinks(tmp_path / "nothing"))
    report = agent.collect()
    assert any(s.name == "links" and not s.ok for s in report.collectors)
    assert not [f for f in report.findings if f.kind.value.startswith("network_link")]


def test_the_agents_report_carries_the_finding_the_control_plane_keeps(sysfs: Path) -> None:
    agent = NodeAgent(AgentConfig(hostname="n1"), [], [], links=SysfsLinks(sysfs))
    agent.collect()
    bump(sysfs, "class/infiniband/mlx5_0/ports/1/counters/link_downed")
    bump(sysfs, "class/infiniband/mlx5_1/ports/1/counters/link_error_recovery")
    report = parse_report(dump_report(agent.collect()))
    flaps = [f for f in report.findings if f.kind is FindingKind.NETWORK_LINK_FLAP]
    assert sorted(f.details["link"] for f in flaps) == ["mlx5_0/1", "mlx5_1/1"]
    kept = [o for o in evaluate(report, 0, default_catalog()) if o.check == "network_link_flap"]
    assert sorted(o.key for o in kept) == ["network_link_flap:-:mlx5_0/1", "network_link_flap:-:mlx5_1/1"]
    assert {o.owner for o in kept} == {"hardware"} and {o.action for o in kept} == {"check_mechanicals"}


def test_catalog_rows_are_checked_at_load(tmp_path: Path) -> None:
    good = (Path(__file__).parents[2] / "src/fleetops/catalog/links.yaml").read_text()
    assert set(load_links()) == {FindingKind.NETWORK_LINK_FLAP, FindingKind.NETWORK_LINK_ERRORS}
    for bad, said in (
        (good.replace("owner: hardware", "owner: network", 1), "links.network_link_flap.owner: 'network'"),
        (good.replace("network_link_errors:", "network_link_noise:"), "links.network_link_noise"),
        (good.replace("    ethernet: []\n", ""), "links.network_link_errors: missing ethernet"),
    ):
        path = tmp_path / "links.yaml"
        path.write_text(bad)
        with pytest.raises(InvalidInput, match=said.replace(".", r"\.")):
            load_links(path)
