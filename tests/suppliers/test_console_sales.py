"""A sales token on the console: the scorecard pages only; every other console page is the 403 page."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from fleetops.auth.choices import Role
from fleetops.web.errors import NOT_CONSOLE
from tests.factories import token

HTML = {"accept": "text/html"}
# A real record for each path parameter the console's pages take, so a page is refused, not missing.
VALUES = {"name": "acme", "hostname": "a000", "cluster": "alpha", "uuid": "GPU-a000-0", "site": "dfw1"}


def _routes(routes):
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI includes routers lazily: walk into them
            yield from _routes(route.original_router.routes)
        elif isinstance(route, APIRoute):
            yield route


def console_pages(app) -> list[str]:
    paths = {
        re.sub(r"\{(\w+)(:\w+)?\}", lambda m: VALUES.get(m.group(1), "1"), route.path)
        for route in _routes(app.routes)
        if "GET" in route.methods and not route.path.startswith(NOT_CONSOLE)
    }
    return sorted(paths - {"/login"})


@pytest.fixture
def sales_cookie(client, fleet):
    client.cookies.set("fleetops_token", token(fleet, Role.SALES))
    return client


def test_every_console_page_but_the_scorecards_is_refused(sales_cookie):
    pages = console_pages(sales_cookie.app)
    assert {"/", "/health", "/incidents", "/okr", "/clustermax", "/scorecards"} <= set(pages)
    refused = [p for p in pages if not p.startswith("/scorecards")]
    for path in refused:
        page = sales_cookie.get(path, headers=HTML, follow_redirects=False)
        assert page.status_code == 403, (path, page.status_code)
        assert page.headers["content-type"].startswith("text/html"), path
        assert "role sales may read only the supplier scorecards" in page.text, path
    for path in ("/scorecards", "/scorecards/acme", "/scorecards/acme/export.html", "/scorecards/export.csv"):
        assert sales_cookie.get(path, headers=HTML).status_code == 200, path


def test_a_form_post_by_sales_is_refused_too(sales_cookie):
    answer = sales_cookie.post("/nodes/a000/cordon", data={"reason": "x"}, follow_redirects=False)
    assert answer.status_code in (403, 404, 405) and answer.status_code != 303


def test_staff_still_read_every_page(client, tokens):
    client.cookies.set("fleetops_token", tokens["viewer"]["Authorization"].removeprefix("Bearer "))
    for path in ("/", "/okr", "/clustermax", "/scorecards"):
        assert client.get(path, headers=HTML).status_code == 200, path
