"""Scanner files as they arrive, real ones bent out of shape: every importer returns a report or refuses
with `ImportRefused` naming the file and the place (a JSON pointer, an XML path, a line), never another
exception. The real captures in tests/security/fixtures are the starting points."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetops.security.choices import Scanner
from fleetops.security.importers import PARSERS
from fleetops.security.parsed import ImportRefused, Report
from tests.json_places import get, places, replaced

FIXTURES = Path(__file__).parent / "fixtures"
JSON_FILES = {
    "trivy-rootfs.json": Scanner.TRIVY,
    "trivy-image.json": Scanner.TRIVY,
    "kube-bench.json": Scanner.KUBE_BENCH,
    "kube-bench-list.json": Scanner.KUBE_BENCH,
}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


def _read_or_refused(scanner: Scanner, data: bytes, name: str) -> Report | None:
    try:
        return PARSERS[scanner](data, name)
    except ImportRefused as refused:
        assert refused.message.startswith(f"{name}: ") and refused.where and refused.why
        return None


@SETTINGS
@given(name=st.sampled_from(sorted(JSON_FILES)), seed=st.integers(0, 2**32), value=JSON_VALUES)
def test_a_real_json_report_with_any_value_anywhere_is_read_or_refused(
    name: str, seed: int, value: Any
) -> None:
    document = json.loads((FIXTURES / name).read_bytes())
    at = random.Random(seed).choice(places(document))
    bent = json.dumps(replaced(document, at, value)).encode()
    _read_or_refused(JSON_FILES[name], bent, name)


@SETTINGS
@given(name=st.sampled_from(sorted(JSON_FILES)), seed=st.integers(0, 2**32), key=st.text(max_size=12))
def test_a_real_json_report_missing_or_gaining_a_member_is_read_or_refused(
    name: str, seed: int, key: str
) -> None:
    document = json.loads((FIXTURES / name).read_bytes())
    objects = [at for at in places(document) if isinstance(get(document, at), dict)]
    target = get(document, random.Random(seed).choice(objects))
    if target:
        target.pop(random.Random(seed).choice(sorted(target)))
    target[key] = None
    _read_or_refused(JSON_FILES[name], json.dumps(document).encode(), name)


@pytest.mark.parametrize("scanner", [Scanner.TRIVY, Scanner.KUBE_BENCH])
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_100000_deep_is_refused_naming_the_file(scanner: Scanner, opening: str) -> None:
    """Python's json module recurses: this raised RecursionError."""
    data = (opening * 100_000).encode()
    with pytest.raises(ImportRefused) as refused:
        PARSERS[scanner](data, "deep.json")
    assert refused.value.message == "deep.json: /: nested deeper than 32 levels"


@pytest.mark.parametrize("scanner", [Scanner.TRIVY, Scanner.KUBE_BENCH])
def test_a_number_too_long_to_read_is_refused_naming_the_file(scanner: Scanner) -> None:
    """int() refuses 4,300+ digit numbers with a ValueError the JSON reader did not catch."""
    with pytest.raises(ImportRefused) as refused:
        PARSERS[scanner](b'{"SchemaVersion": ' + b"9" * 5000 + b"}", "long.json")
    assert refused.value.message.startswith("long.json: line 1 column ")


def test_an_unhashable_kube_bench_status_is_refused_naming_its_pointer() -> None:
    document = json.loads((FIXTURES / "kube-bench.json").read_bytes())
    document["Controls"][0]["tests"][0]["results"][0]["status"] = ["FAIL"]
    with pytest.raises(ImportRefused) as refused:
        PARSERS[Scanner.KUBE_BENCH](json.dumps(document).encode(), "kb.json")
    assert refused.value.where == "/Controls/0/tests/0/results/0/status"


XML_FILES = {"xccdf-results.xml": Scanner.OPENSCAP, "arf.xml": Scanner.OPENSCAP}


@SETTINGS
@given(
    name=st.sampled_from(sorted(XML_FILES)),
    seed=st.integers(0, 2**32),
    junk=st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30),
)
def test_a_real_xccdf_file_with_any_text_in_place_of_a_value_is_read_or_refused(
    name: str, seed: int, junk: str
) -> None:
    """Any attribute value or element text replaced (escaped, so the XML stays well-formed), or the file
    cut at any byte."""
    data = (FIXTURES / name).read_text()
    quoted = [i for i, c in enumerate(data) if c in '">']
    at = random.Random(seed).choice(quoted)
    escaped = junk.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    end = data.find('"' if data[at] == '"' else "<", at + 1)
    bent = data[: at + 1] + escaped + data[end:]
    _read_or_refused(Scanner.OPENSCAP, bent.encode(), name)
    _read_or_refused(Scanner.OPENSCAP, bent.encode()[: seed % len(bent)], name)


@pytest.mark.parametrize("encoding", ["A", "utf-16"])
def test_an_xml_declaration_naming_an_unreadable_encoding_is_refused(encoding: str) -> None:
    """A LookupError ("unknown encoding: A"), found by the property above, or expat's ValueError."""
    data = (FIXTURES / "xccdf-results.xml").read_text()
    data = f'<?xml version="1.0" encoding="{encoding}"?>' + data.split("?>", 1)[1]
    with pytest.raises(ImportRefused) as refused:
        PARSERS[Scanner.OPENSCAP](data.encode(), "results.xml")
    assert refused.value.where.startswith("line 1")


def test_xml_nested_100000_deep_is_read_or_refused() -> None:
    data = b'<TestResult xmlns="http://checklists.nist.gov/xccdf/1.2">' + b"<a>" * 100_000
    _read_or_refused(Scanner.OPENSCAP, data, "deep.xml")


@SETTINGS
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(
                ["warning[]", "suggestion[]", "hostname", "linux_kernel_release", "report_version_major", "x"]
            ),
            st.text(max_size=40),
        ),
        max_size=8,
    ),
    version=st.sampled_from(["1", "2", ""]),
)
def test_any_lynis_report_lines_are_read_or_refused(lines: list[tuple[str, str]], version: str) -> None:
    real = (FIXTURES / "lynis-report.dat").read_text().splitlines()
    body = [f"{key}={value}" for key, value in lines]
    text = "\n".join([real[0], f"report_version_major={version}", *body, *real[1:]])
    _read_or_refused(Scanner.LYNIS, text.encode("utf-8", "surrogatepass"), "report.dat")
