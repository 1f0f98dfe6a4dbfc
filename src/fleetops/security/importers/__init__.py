"""The scanner file formats fleetops reads, by name: each is `parse(data, filename) -> Report`."""

from __future__ import annotations

from collections.abc import Callable

from fleetops.security.choices import Scanner
from fleetops.security.importers import kubebench, lynis, trivy, xccdf
from fleetops.security.parsed import Report

Parser = Callable[[bytes, str], Report]

PARSERS: dict[Scanner, Parser] = {
    Scanner.TRIVY: trivy.parse,
    Scanner.KUBE_BENCH: kubebench.parse,
    Scanner.OPENSCAP: xccdf.parse,
    Scanner.LYNIS: lynis.parse,
}
