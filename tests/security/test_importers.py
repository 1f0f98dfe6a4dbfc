"""Each scanner format read in its documented shape; every bad file refused by name and place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetops.security.choices import Scanner, Severity
from fleetops.security.importers import PARSERS
from fleetops.security.parsed import ImportRefused, Report

FIXTURES = Path(__file__).parent / "fixtures"


def read(scanner: Scanner, name: str, data: bytes | None = None) -> Report:
    return PARSERS[scanner](data if data is not None else (FIXTURES / name).read_bytes(), name)


def refusal(scanner: Scanner, data: bytes, name: str = "scan.out") -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        PARSERS[scanner](data, name)
    assert caught.value.message.startswith(f"{name}: ")
    return caught.value


def test_trivy_rootfs_reads_vulnerabilities_and_tolerates_null_or_absent_lists() -> None:
    report = read(Scanner.TRIVY, "trivy-rootfs.json")
    assert report.image is None
    assert {key: item.severity for key, item in report.items.items()} == {
        ("CVE-2024-6387", "openssh-server"): Severity.CRITICAL,
        ("CVE-2023-4911", "libc6"): Severity.HIGH,
        ("CVE-2022-3219", "gpgv"): Severity.LOW,
    }
    ssh = report.items["CVE-2024-6387", "openssh-server"]
    assert (ssh.installed_version, ssh.fixed_version) == ("1:8.9p1-3ubuntu0.7", "1:8.9p1-3ubuntu0.10")
    assert report.items["CVE-2022-3219", "gpgv"].fixed_version is None


def test_trivy_image_names_the_image_and_counts_a_cve_listed_twice_once() -> None:
    report = read(Scanner.TRIVY, "trivy-image.json")
    assert report.image == "registry.example.com/gpu-operator:v24.3.0"
    assert list(report.items) == [("CVE-2024-2961", "libc6")]


def test_trivy_results_null_is_a_clean_scan() -> None:
    clean = json.dumps(
        {"SchemaVersion": 2, "ArtifactName": "/", "ArtifactType": "filesystem", "Results": None}
    )
    assert read(Scanner.TRIVY, "clean.json", clean.encode()).items == {}


@pytest.mark.parametrize("name", ["kube-bench.json", "kube-bench-list.json"])
def test_kube_bench_both_shapes_give_the_same_findings_and_score(name: str) -> None:
    report = read(Scanner.KUBE_BENCH, name)
    assert {key[0]: item.severity for key, item in report.items.items()} == {
        "4.2.1": Severity.HIGH,
        "4.2.4": Severity.HIGH,
        "4.2.9": Severity.LOW,
    }
    assert (report.rules_pass, report.rules_applicable) == (3, 5)


RULE = "xccdf_org.ssgproject.content_rule_sshd_disable_root_login"


@pytest.mark.parametrize(
    ("name", "host", "title"),
    [("xccdf-results.xml", "a000", "Disable SSH Root Login"), ("arf.xml", "a001", RULE)],  # no benchmark: id
)
def test_openscap_results_and_arf(name: str, host: str, title: str) -> None:
    report = read(Scanner.OPENSCAP, name)
    assert report.host == host
    assert report.profile == "xccdf_org.ssgproject.content_profile_cis_level1_server"
    assert (report.rules_pass, report.rules_applicable) == (2, 3)  # notapplicable counts for neither
    (item,) = report.items.values()
    assert (item.check_id, item.title, item.severity) == (RULE, title, Severity.MEDIUM)


def test_lynis_warnings_and_suggestions() -> None:
    report = read(Scanner.LYNIS, "lynis-report.dat")
    assert report.host == "a000"
    severities = [item.severity for item in report.items.values()]
    assert severities.count(Severity.MEDIUM) == 2 and severities.count(Severity.LOW) == 14
    assert len([key for key in report.items if key[0] == "AUTH-9286"]) == 2  # one test, two findings


def test_truncated_json_names_line_and_column() -> None:
    data = (FIXTURES / "trivy-rootfs.json").read_bytes()
    refused = refusal(Scanner.TRIVY, data[: len(data) // 2], "trivy-a000.json")
    assert refused.where.startswith("line ") and "column" in refused.where


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"SchemaVersion": 1, "Results": []}, "/SchemaVersion"),
        ({"SchemaVersion": 2, "Results": {"Target": "/"}}, "/Results"),
        ({"SchemaVersion": 2, "Results": [{"Vulnerabilities": "none"}]}, "/Results/0/Vulnerabilities"),
        (
            {"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"PkgName": "x"}]}]},
            "/Results/0/Vulnerabilities/0/VulnerabilityID",
        ),
        ({"SchemaVersion": 2, "ArtifactType": "container_image", "Results": []}, "/ArtifactName"),
    ],
)
def test_trivy_refusals_name_the_json_pointer(document: object, where: str) -> None:
    assert refusal(Scanner.TRIVY, json.dumps(document).encode()).where == where


def test_kube_bench_unknown_status_and_shape() -> None:
    controls = json.loads((FIXTURES / "kube-bench.json").read_bytes())
    controls["Controls"][1]["tests"][0]["results"][1]["status"] = "MAYBE"
    refused = refusal(Scanner.KUBE_BENCH, json.dumps(controls).encode())
    assert refused.where == "/Controls/1/tests/0/results/1/status"
    assert refusal(Scanner.KUBE_BENCH, b'{"Totals": {}}').where == "/"


def test_openscap_refusals_name_the_xml_path() -> None:
    data = (FIXTURES / "xccdf-results.xml").read_bytes()
    assert refusal(Scanner.OPENSCAP, data[:-200]).where.startswith("line ")
    old = data.replace(b"http://checklists.nist.gov/xccdf/1.2", b"http://checklists.nist.gov/xccdf/1.1")
    assert "XCCDF 1.2" in refusal(Scanner.OPENSCAP, old).why
    odd = data.replace(b"<result>pass</result>", b"<result>perhaps</result>", 1)
    assert refusal(Scanner.OPENSCAP, odd).where == "/Benchmark/TestResult/rule-result[2]/result"
    bare = data[: data.index(b"<TestResult")] + b"</Benchmark>"
    assert refusal(Scanner.OPENSCAP, bare).where == "/Benchmark/TestResult"


def test_lynis_truncated_or_unknown_version_is_refused() -> None:
    data = (FIXTURES / "lynis-report.dat").read_bytes()
    cut = data[: data.index(b"report_datetime_end")]
    assert "truncated" in refusal(Scanner.LYNIS, cut).why
    newer = data.replace(b"report_version_major=1", b"report_version_major=2")
    assert refusal(Scanner.LYNIS, newer).where == "line 2 (report_version_major)"
    assert refusal(Scanner.LYNIS, b"report_version_major=1\nnonsense\n").where == "line 2"


@settings(max_examples=150, deadline=None)
@given(scanner=st.sampled_from(list(PARSERS)), data=st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_never_crash(scanner: Scanner, data: bytes) -> None:
    try:
        PARSERS[scanner](data, "fuzz")
    except ImportRefused as refused:
        assert refused.message.startswith("fuzz: ")


@settings(max_examples=100, deadline=None)
@given(
    cut=st.integers(min_value=0, max_value=10_000),
    name=st.sampled_from(sorted(p.name for p in FIXTURES.iterdir())),
)
def test_every_truncation_of_a_real_shaped_file_is_refused_or_complete(cut: int, name: str) -> None:
    """A file cut anywhere is refused, unless the cut left the document whole (trailing whitespace)."""
    scanner = {"trivy": Scanner.TRIVY, "kube": Scanner.KUBE_BENCH, "lynis": Scanner.LYNIS}.get(
        name.split("-")[0], Scanner.OPENSCAP
    )
    data = (FIXTURES / name).read_bytes()
    cut = cut % len(data)
    try:
        report = PARSERS[scanner](data[:cut], name)
    except ImportRefused:
        return
    assert data[cut:].strip() == b"" or report == PARSERS[scanner](data, name)
