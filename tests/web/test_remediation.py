"""Remediation settings as one table with an edit dialog per cluster; "every action" and "only the
ticked ones" (none ticked: none) are two different answers, each saved as it says."""

from __future__ import annotations

import re

from sqlalchemy import select

from fleetops.auth.principal import SYSTEM
from fleetops.inventory.models import Cluster
from fleetops.remediation import service


def _ids(fleet) -> dict[str, int]:
    with fleet.transaction() as session:
        return {c.name: c.id for c in session.scalars(select(Cluster))}


def _saved(fleet, cluster_id: int):
    with fleet.transaction() as session:
        return service.get_settings(session, SYSTEM, cluster_id)


def test_one_row_per_cluster_and_one_dialog_each(as_role, fleet):
    html = as_role("operator").get("/remediation").text
    assert re.findall(r'<tr id="settings-(\d+)">', html) == [str(i) for i in _ids(fleet).values()]
    assert (
        html.count("<dialog ") == 2 and html.count('<form method="post" action="/remediation/clusters/') == 2
    )
    assert "every action" in html.split('id="settings-table"')[1]


def test_every_action_only_some_and_none_are_three_answers(as_role, fleet):
    alpha, page = _ids(fleet)["alpha"], as_role("operator")
    url = f"/remediation/clusters/{alpha}/settings"
    page.post(url, data={"enabled": "on", "scope": "only", "allowed": ["drain", "reset_gpu"]})
    assert _saved(fleet, alpha).allowed_actions == ["drain", "reset_gpu"]
    page.post(url, data={"enabled": "on", "scope": "only", "approval": ["reboot_node"]})
    saved = _saved(fleet, alpha)
    assert saved.allowed_actions == [] and saved.approval_required == ["reboot_node"]
    row = page.get("/remediation").text.split(f'<tr id="settings-{alpha}">')[1].split("</tr>")[0]
    assert '<span class="badge red">none</span>' in row and "reboot node" in row
    page.post(url, data={"enabled": "on", "scope": "every", "allowed": ["drain"]})
    assert _saved(fleet, alpha).allowed_actions is None


def test_a_customer_sees_and_edits_only_its_clusters(as_role, fleet):
    ids = _ids(fleet)
    html = as_role("initech").get("/remediation").text
    assert re.findall(r'<tr id="settings-(\d+)">', html) == [str(ids["alpha"])]
    assert as_role("initech").post(f"/remediation/clusters/{ids['beta']}/settings").status_code == 404
    assert 'class="edit"' not in as_role("viewer").get("/remediation").text
    supplier = as_role("globex").get("/remediation").text
    assert (
        re.findall(r'<tr id="settings-(\d+)">', supplier) == [str(ids["beta"])]
        and 'class="edit"' not in supplier
    )
    assert as_role("globex").post(f"/remediation/clusters/{ids['beta']}/settings").status_code == 403
