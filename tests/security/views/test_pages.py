"""The security console pages per role, on both databases: staff see the fleet, a customer or supplier
only its own cluster's findings, scores and update runs, and none of the staff-only pages; confidential
incidents exist only for the security role."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM, Principal
from fleetops.db.session import Database
from fleetops.security.access import requests
from fleetops.security.access import service as access
from fleetops.security.access.policy import ReviewPolicy
from fleetops.security.incidents import service as incidents
from fleetops.security.incidents.choices import IncidentRole, IncidentState, Priority
from fleetops.security.updates import service as updates
from tests.factories import bearer, token
from tests.security.access.conftest import files
from tests.security.scans import post_scan, trivy
from tests.web.conftest import sign_in

OPERATOR = Principal(Role.OPERATOR, "otto")
SECURITY = Principal(Role.SECURITY, "sam")


@pytest.fixture
def posture(client: TestClient, tokens: dict[str, dict[str, str]], fleet: Database) -> dict[str, int]:
    """A Critical on a node of each cluster, an update run over each, two incidents (one confidential),
    an access snapshot and one access request waiting for a decision."""
    for host, cve in (("a000", "CVE-2026-1111"), ("b000", "CVE-2026-2222")):
        data = trivy((cve, "openssl", "CRITICAL"), ("CVE-2026-0003", "zlib", "LOW"))
        assert post_scan(client, tokens["operator"], "trivy", "t.json", data, host=host).status_code == 201
    with fleet.transaction() as session:
        updates.plan(session, SYSTEM, "upd-alpha", "alpha", "CVE-2026-1111")
        updates.plan(session, SYSTEM, "upd-beta", "beta", "CVE-2026-2222")
        open_one = incidents.declare(session, OPERATOR, "Leaked kubeconfig", Priority.P1, customers="Initech")
        secret = incidents.declare(session, SECURITY, "Embargoed BMC flaw", Priority.P0, confidential=True)
        access.import_files(session, SECURITY, files(), ReviewPolicy())
        asked = requests.request(session, OPERATOR, "dave", "teleport", "ops-prod", "on call", 4)
        return {"incident": open_one.id, "secret": secret.id, "request": asked.id}


def page(client: TestClient, headers: dict[str, str], path: str) -> tuple[int, str]:
    answer = sign_in(client, headers).get(path, follow_redirects=False)
    return answer.status_code, answer.text


def rows(html: str, table: str, attribute: str) -> list[str]:
    part = html.split(f'id="{table}"')[1].split("</table>")[0]
    return re.findall(rf'{attribute}="([^"]+)"', part)


def test_signed_out_is_sent_to_sign_in(client, posture):
    for path in ("/security", "/security/findings", "/security/access", "/security/incidents"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"


@pytest.mark.parametrize(
    ("who", "clusters"),
    [("admin", ["alpha", "beta"]), ("initech", ["alpha"]), ("acme", ["alpha"]), ("umbrella", ["beta"])],
)
def test_dashboard_counts_only_what_the_role_may_see(client, tokens, posture, who, clusters):
    status, html = page(client, tokens[who], "/security")
    assert status == 200
    assert rows(html, "criticals-by-cluster", "data-name") == clusters
    assert rows(html, "hardening", "data-cluster") == clusters
    critical = re.search(r'id="open-critical".*?<a [^>]*>(\d+)</a>', html, re.S)
    assert critical is not None and int(critical[1]) == len(clusters)
    assert "data-chart=" in html and '"label": "Critical"' in html.replace("&#34;", '"')
    assert 'id="goal-new-deployments"' in html  # scoped to the role's nodes: see test_scans


@pytest.mark.parametrize(
    ("who", "hosts"), [("viewer", {"a000", "b000"}), ("initech", {"a000"}), ("globex", {"b000"})]
)
def test_findings_list_is_scoped_and_filtered(client, tokens, posture, who, hosts):
    status, html = page(client, tokens[who], "/security/findings")
    assert status == 200 and set(rows(html, "findings", "data-asset")) == hosts
    _, critical = page(client, tokens[who], "/security/findings?severity=critical&status=open")
    assert critical.count('<tr id="finding-') == len(hosts)
    _, other = page(client, tokens["initech"], "/security/findings?node=b000")
    assert '<tr id="finding-' not in other


def test_access_review_is_staff_only_and_only_approvers_decide(client, tokens, fleet, posture):
    for tenant in ("initech", "acme"):
        assert page(client, tokens[tenant], "/security/access")[0] == 403
    status, html = page(client, tokens["viewer"], "/security/access")
    assert (
        status == 200 and rows(html, "flags", "data-user") and f'id="grant-{posture["request"]}"' not in html
    )
    sam = bearer(token(fleet, Role.SECURITY))
    _, html = page(client, sam, "/security/access")
    assert f'id="grant-{posture["request"]}"' in html
    refused = sign_in(client, tokens["initech"]).post(f"/security/access/requests/{posture['request']}/grant")
    assert refused.status_code == 403
    done = sign_in(client, sam).post(
        f"/security/access/requests/{posture['request']}/grant", follow_redirects=False
    )
    assert done.status_code == 303
    _, html = page(client, sam, "/security/access")
    assert rows(html, "requests", "data-state") == ["granted"] and f'id="revoke-{posture["request"]}"' in html


def test_incidents_confidential_only_for_security_and_never_for_tenants(client, tokens, fleet, posture):
    public, secret = f"SEC-{posture['incident']}", f"SEC-{posture['secret']}"
    _, html = page(client, tokens["admin"], "/security/incidents")
    assert re.findall(r'<tr id="(SEC-\d+)"', html) == [public]
    assert page(client, tokens["admin"], f"/security/incidents/{secret}")[0] == 404
    sam = bearer(token(fleet, Role.SECURITY))
    _, html = page(client, sam, "/security/incidents")
    assert sorted(re.findall(r'<tr id="(SEC-\d+)"', html)) == sorted([public, secret])
    assert page(client, sam, f"/security/incidents/{secret}")[0] == 200
    for tenant in ("initech", "globex"):
        assert page(client, tokens[tenant], "/security/incidents")[0] == 403
        assert page(client, tokens[tenant], f"/security/incidents/{public}")[0] == 403


def test_incident_page_shows_timeline_and_rendered_notices(client, tokens, fleet, posture):
    key = f"SEC-{posture['incident']}"
    _, html = page(client, tokens["viewer"], f"/security/incidents/{key}")
    assert 'id="notice-first_notice"' in html and "Dear Initech," in html
    assert 'id="notice-post_incident"' not in html
    with fleet.transaction() as session:
        incidents.assign(session, OPERATOR, key, IncidentRole.COMMANDER, "sam")
        incidents.note(session, OPERATOR, key, "Rotated the cluster credentials.", public=True)
        incidents.note(session, OPERATOR, key, "Suspect: the intern's laptop.", public=False)
        for state in (IncidentState.INVESTIGATING, IncidentState.RESOLVED):
            incidents.move(session, OPERATOR, key, state, "")
    _, html = page(client, tokens["viewer"], f"/security/incidents/{key}")
    assert 'id="notice-post_incident"' in html
    update = html.split('id="notice-update"')[1].split("</details>")[0]
    assert "Rotated the cluster credentials." in update and "intern" not in update
    assert html.split('id="timeline"')[1].count("<tr data-kind=") >= 6


@pytest.mark.parametrize(
    ("who", "runs"),
    [("operator", ["upd-beta", "upd-alpha"]), ("initech", ["upd-alpha"]), ("globex", ["upd-beta"])],
)
def test_update_runs_per_role(client, tokens, posture, who, runs):
    _, html = page(client, tokens[who], "/security/updates")
    assert re.findall(r'<tr id="update-([^"]+)"', html) == runs
    status, html = page(client, tokens[who], f"/security/updates/{runs[0]}")
    assert status == 200 and len(rows(html, "nodes", "data-node")) == 3
    hidden = {"upd-alpha", "upd-beta"} - set(runs)
    for name in hidden:
        assert page(client, tokens[who], f"/security/updates/{name}")[0] == 404
