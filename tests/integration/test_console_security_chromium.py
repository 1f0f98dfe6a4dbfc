"""The security console in real headless Chromium at 1440×900: every page drawn with no horizontal
overflow and no console error, for staff, the security role and a customer (who sees its own only)."""

from __future__ import annotations

import pytest

from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM, Principal
from fleetops.auth.service import create_token
from fleetops.db.session import Database
from fleetops.security.access import service as access
from fleetops.security.access.policy import ReviewPolicy
from fleetops.security.choices import Scanner
from fleetops.security.imports import Offered, import_file
from fleetops.security.incidents import service as incidents
from fleetops.security.incidents.choices import Priority
from fleetops.security.updates.rehearsal import rehearse
from tests.factories import load, two_tenant_fleet
from tests.integration.console import overflow, quiet_server, watched_page
from tests.security.access.conftest import files
from tests.security.scans import FIXTURES

pytestmark = pytest.mark.integration
SECURITY = Principal(Role.SECURITY, "sam")


def security_posture(database: Database) -> dict[str, str]:
    """Findings on both clusters, a rehearsed update, incidents (one confidential), an access snapshot;
    the tokens of a security engineer and a customer."""
    load(database, two_tenant_fleet())
    for host in ("a000", "b001"):
        data = (FIXTURES / "trivy-rootfs.json").read_bytes()
        import_file(database, SYSTEM, Offered(Scanner.TRIVY, "trivy-rootfs.json", data, host, None))
    rehearse(database, nodes=20, pct=10, broken=frozenset({"staging-n003"}))
    with database.transaction() as session:
        long_title = "OpenSSH regreSSHion on the login nodes of every Slurm cluster, " * 3
        incidents.declare(
            session, SECURITY, long_title, Priority.P1, "A long summary " * 40, customers="Initech"
        )
        incidents.declare(session, SECURITY, "Embargoed BMC flaw", Priority.P0, confidential=True)
        access.import_files(session, SECURITY, files(), ReviewPolicy())
        return {
            "security": create_token(session, "test", name="sam", role=Role.SECURITY).token,
            "customer": create_token(
                session, "test", name="initech", role=Role.CUSTOMER, customer_id=1
            ).token,
        }


PAGES = {
    "security": [
        "/security",
        "/security/findings",
        "/security/findings?severity=critical&overdue=on",
        "/security/access",
        "/security/incidents",
        "/security/incidents/SEC-1",
        "/security/incidents/SEC-2",
        "/security/updates",
        "/security/updates/rehearsal-staging",
    ],
    "customer": ["/security", "/security/findings", "/security/updates"],
}


def test_every_security_page_fits_and_draws_cleanly(browser, tmp_path):
    with quiet_server(tmp_path, security_posture) as (server, made):
        for who, paths in PAGES.items():
            page, errors = watched_page(browser, server, made[who])
            for path in paths:
                answer = page.goto(f"{server.url}{path}")
                assert answer is not None and answer.status == 200, path
                page.wait_for_load_state("networkidle")
                name = path.strip("/").replace("/", "-").split("?")[0]
                page.screenshot(path=str(tmp_path.parent / f"console-{who}-{name}.png"), full_page=True)
                assert overflow(page) == 0, f"{path} as {who} is wider than the window"
            page.goto(f"{server.url}/security")
            page.wait_for_load_state("networkidle")
            assert page.locator("#unfixed-per-day canvas").count() >= 1  # uPlot drew the chart
            clusters = page.locator("#criticals-by-cluster tbody tr td:first-child").all_inner_texts()
            assert clusters == (["alpha", "beta"] if who == "security" else ["alpha"])
            assert errors == []
            page.close()
